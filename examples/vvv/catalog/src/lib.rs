//! The catalog of Vinny's Vintage Vinyl (Rust): items read from the service's own SQLite
//! database through the typed queries of `db/queries.sql`; the migrations seed it.

wit_bindgen::generate!({
    // The generated queries package first: the service's world imports it.
    path: ["db/queries.wit", "wit"],
    world: "vvv:catalog-service/catalog-service",
    generate_all,
});

use exports::vvv::shop::catalog::{Content, Guest, Item, Media};
use vvv::catalog_db::queries::{self, DbError};

struct Catalog;

/// The media in the database's spelling (the WIT enum's names).
const MEDIA: [(Media, &str); 10] = [
    (Media::Vinyl, "vinyl"),
    (Media::Cassette, "cassette"),
    (Media::EightTrack, "eight-track"),
    (Media::Cd, "cd"),
    (Media::CdSingle, "cd-single"),
    (Media::Laserdisc, "laserdisc"),
    (Media::Vhs, "vhs"),
    (Media::Beta, "beta"),
    (Media::AtariCartridge, "atari-cartridge"),
    (Media::IntellivisionCartridge, "intellivision-cartridge"),
];

const CONTENT: [(Content, &str); 3] = [(Content::Music, "music"), (Content::Movie, "movie"), (Content::Tv, "tv")];

fn media_name(media: Media) -> &'static str {
    MEDIA.iter().find(|(m, _)| *m == media).map(|(_, name)| *name).expect("every medium has a name")
}

fn content_name(content: Content) -> &'static str {
    CONTENT.iter().find(|(c, _)| *c == content).map(|(_, name)| *name).expect("every content type has a name")
}

/// A row of the `items` table as an item. The table's CHECK constraints keep media and content
/// to the enums' names, so anything else is a broken database: the call traps, naming the row.
macro_rules! item_of_row {
    ($row:expr) => {{
        let row = $row;
        let media = MEDIA.iter().find(|(_, name)| *name == row.media).map(|(m, _)| *m);
        let content = CONTENT.iter().find(|(_, name)| *name == row.content).map(|(c, _)| *c);
        let (Some(media), Some(content)) = (media, content) else {
            panic!("item {} has an unknown medium `{}` or content `{}`", row.id, row.media, row.content);
        };
        Item {
            id: row.id as u64,
            media,
            content,
            creator: row.creator,
            title: row.title,
            year: row.year as u16,
            price_cents: row.price_cents as u64,
        }
    }};
}

/// A failed query is a broken database, not an answer: the call traps with SQLite's message.
fn expect_db<T>(result: Result<T, DbError>, what: &str) -> T {
    result.unwrap_or_else(|error| panic!("the catalog cannot {what}: {error:?}"))
}

impl Guest for Catalog {
    fn get(id: u64) -> Option<Item> {
        let id = i64::try_from(id).ok()?;
        expect_db(queries::item_by_id(id), "read an item").map(|row| item_of_row!(row))
    }

    fn browse(content: Option<Content>, media: Option<Media>) -> Vec<Item> {
        let rows = queries::browse(content.map(content_name), media.map(media_name));
        expect_db(rows, "browse").into_iter().map(|row| item_of_row!(row)).collect()
    }

    fn search(text: String) -> Vec<Item> {
        expect_db(queries::search(&text), "search").into_iter().map(|row| item_of_row!(row)).collect()
    }
}

export!(Catalog);
