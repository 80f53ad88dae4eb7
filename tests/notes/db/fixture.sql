-- What every test starts with.
INSERT INTO notes (text) VALUES ('from the fixture');
