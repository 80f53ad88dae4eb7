-- The typed queries of the `{{service}}` service. `parigot-host queries` (and every build)
-- turns them into the WIT interface `{{db_package}}/queries`, in wit/deps/; the host runs
-- them on the service's own database.

-- name: RecordVisit :exec
-- Records one visit of `name`.
INSERT INTO visits (name) VALUES (@name);

-- name: CountVisits :one
-- How many times `name` has visited.
SELECT count(*) AS visits FROM visits WHERE name = @name;
