-- The catalog: one row per item. Media and content are the WIT enums' names.
CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    media TEXT NOT NULL CHECK (media IN ('vinyl', 'cassette', 'eight-track', 'cd', 'cd-single', 'laserdisc',
                                         'vhs', 'beta', 'atari-cartridge', 'intellivision-cartridge')),
    content TEXT NOT NULL CHECK (content IN ('music', 'movie', 'tv')),
    creator TEXT NOT NULL,
    title TEXT NOT NULL,
    year INTEGER NOT NULL CHECK (year BETWEEN 1900 AND 2100),
    price_cents INTEGER NOT NULL CHECK (price_cents > 0)
);
CREATE INDEX items_by_title ON items (title, id);
