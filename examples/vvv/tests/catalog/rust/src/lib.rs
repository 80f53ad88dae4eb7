//! The catalog's tests: the real service on its seeded database, through its interface.

wit_bindgen::generate!({
    path: "../wit",
    world: "vvv:catalog-tests/catalog-tests",
    generate_all,
});

use crate::vvv::shop::catalog::{self, Content, Item, Media};
use ::parigot::test::TestResult;
use ::parigot::{check, check_eq};

fn titles(items: &[Item]) -> Vec<&str> {
    items.iter().map(|item| item.title.as_str()).collect()
}

fn the_seed_has_the_queen_is_dead_on_cassette() -> TestResult {
    let item = catalog::get(1).expect("item 1 is seeded");
    check_eq!((item.creator.as_str(), item.title.as_str()), ("The Smiths", "The Queen Is Dead"));
    check_eq!((item.media, item.content, item.year, item.price_cents), (Media::Cassette, Content::Music, 1986, 899));
    Ok(())
}

fn an_unknown_id_is_none() -> TestResult {
    check!(catalog::get(999).is_none());
    check!(catalog::get(u64::MAX).is_none());
    Ok(())
}

fn browsing_without_filters_lists_every_item_by_title() -> TestResult {
    let all = catalog::browse(None, None);
    check_eq!(all.len(), 36);
    let mut sorted = titles(&all);
    sorted.sort();
    check_eq!(titles(&all), sorted);
    Ok(())
}

fn browsing_filters_by_content_and_by_medium() -> TestResult {
    check_eq!(titles(&catalog::browse(Some(Content::Movie), Some(Media::Beta))), vec!["Halloween", "The Shining"]);
    let tv = catalog::browse(Some(Content::Tv), None);
    check!(tv.len() > 3 && tv.iter().all(|item| item.content == Content::Tv));
    let vhs = catalog::browse(None, Some(Media::Vhs));
    check!(vhs.iter().any(|item| item.title.starts_with("M*A*S*H")));
    check!(vhs.iter().all(|item| item.media == Media::Vhs));
    Ok(())
}

fn search_ignores_case_and_looks_at_creators_too() -> TestResult {
    check_eq!(
        titles(&catalog::search("STAR")),
        vec!["Star Trek: The Menagerie", "Star Wars", "Star Wars: Original Soundtrack"]
    );
    check_eq!(titles(&catalog::search("lynch")), vec!["Twin Peaks: Pilot"]);
    check_eq!(catalog::search("no such record").len(), 0);
    Ok(())
}

::parigot::tests!(
    the_seed_has_the_queen_is_dead_on_cassette,
    an_unknown_id_is_none,
    browsing_without_filters_lists_every_item_by_title,
    browsing_filters_by_content_and_by_medium,
    search_ignores_case_and_looks_at_creators_too
);
