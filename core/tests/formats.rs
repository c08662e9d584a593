//! Every feed format and encoding the core reads, fetched from a real local HTTP server:
//! what is stored for each item (title, link, UTC date, categories, author, image, HTML).

mod common;

use caliber_core::{SourceKind, SyncStatus};
use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn rss2_items_are_stored_with_all_fields_and_utc_dates() {
    let server = TestServer::start().await;
    server.route("/rss.xml", Route::fixture("rss2.xml", "application/rss+xml; charset=utf-8"));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/rss.xml");
    add(&core, std::slice::from_ref(&url));

    let report = sync(&core).await;
    let r = report_for(&report, &url);
    assert_eq!((r.status, r.new, r.updated, r.error.as_deref()), (SyncStatus::Ok, 3, 0, None), "{r:?}");
    assert!(r.first_sync);

    let articles = articles_of(&core, &url);
    assert_eq!(articles.len(), 3);
    // Newest first.
    let titles: Vec<&str> = articles.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Baku hosts regional energy forum", "BREAKING: Ceasefire talks resume in Geneva", "Parliament approves the 2026 budget draft"]
    );

    let forum = article_by_guid(&articles, "caliber-1001");
    assert_eq!(forum.url.as_deref(), Some("https://caliber.example/politics/baku-energy-forum"));
    // 14:30 at +04:00 is 10:30 UTC.
    assert_eq!(rfc3339(forum.published_at), "2025-06-10T10:30:00Z");
    assert_eq!(forum.categories, ["Politics", "Energy"]);
    assert_eq!(forum.author.as_deref(), Some("Leyla Mammadova"));
    assert_eq!(forum.image_url.as_deref(), Some("https://cdn.caliber.example/img/forum.jpg"), "media:content is the image");
    let html = forum.content_html.as_deref().expect("content:encoded is stored");
    assert!(html.contains("<b>twelve countries</b>"), "{html}");
    // No xml:base: relative to the URL the feed was fetched from.
    let expected = format!(r#"href="{}""#, server.url("/politics/pipelines-explained"));
    assert!(html.contains(&expected), "root-relative link made absolute: {html}");
    assert_eq!(forum.summary.as_deref(), Some("Ministers from twelve countries met in Baku to discuss pipelines."));
    assert_eq!(forum.source_url, url);
    assert!(!forum.is_breaking);
    assert!(!forum.read && !forum.saved);

    let geneva = article_by_guid(&articles, "https://caliber.example/world/geneva-talks");
    // 23:15 at -05:00 on the 9th is 04:15 UTC on the 10th.
    assert_eq!(rfc3339(geneva.published_at), "2025-06-10T04:15:00Z");
    assert_eq!(geneva.author.as_deref(), Some("Rashad Aliyev"));
    assert_eq!(geneva.categories, ["World"]);
    assert_eq!(geneva.image_url.as_deref(), Some("https://cdn.caliber.example/img/geneva.jpg"), "image enclosure");
    assert!(geneva.is_breaking, "\"BREAKING:\" title");
    assert_eq!(geneva.summary.as_deref(), Some("Delegations returned to the table on Monday evening after a two-week pause."));

    let budget = article_by_guid(&articles, "caliber-1000");
    assert_eq!(rfc3339(budget.published_at), "2025-06-08T09:00:00Z");
    assert_eq!(budget.categories, ["Politics", "Economy"]);
    // The first <img> of the content, resolved against the feed's URL.
    assert_eq!(budget.image_url.as_deref(), Some(server.url("/img/parliament.jpg").as_str()));

    let source = &core.sources().unwrap()[0];
    assert_eq!(source.kind, Some(SourceKind::Feed), "kind detected at first sync");
    assert_eq!(source.title.as_deref(), Some("Caliber.Az — Politics"));
    assert_eq!(source.language.as_deref(), Some("en"));
    assert_eq!(source.last_status, Some(SyncStatus::Ok));
    assert_eq!(source.consecutive_failures, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn rss1_rdf_items_are_stored_with_dc_fields() {
    let server = TestServer::start().await;
    server.route("/index.rdf", Route::fixture("rss1.rdf", "application/rdf+xml"));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/index.rdf");
    add(&core, std::slice::from_ref(&url));

    let report = sync(&core).await;
    let r = report_for(&report, &url);
    assert_eq!((r.status, r.new, r.error.as_deref()), (SyncStatus::Ok, 2, None), "{r:?}");

    let articles = articles_of(&core, &url);
    let seals = article_by_title(&articles, "Caspian seal population is recovering");
    assert_eq!(seals.url.as_deref(), Some("https://science.example/2025/06/caspian-seals"));
    assert_eq!(rfc3339(seals.published_at), "2025-06-08T05:00:00Z", "dc:date at +04:00");
    assert_eq!(seals.author.as_deref(), Some("Elnur Qasimov"));
    assert_eq!(seals.image_url.as_deref(), Some("https://science.example/img/seal.jpg"));
    assert!(seals.content_html.as_deref().unwrap().contains("northern coast"));
    assert_eq!(seals.summary.as_deref(), Some("A new aerial survey counted more seals than expected."));

    let volcanoes = article_by_title(&articles, "Why Azerbaijan has so many mud volcanoes");
    assert_eq!(rfc3339(volcanoes.published_at), "2025-06-07T18:45:00Z");
    assert_eq!(volcanoes.author.as_deref(), Some("Sabina Rzayeva"));
    assert_eq!(volcanoes.image_url, None);
    assert_eq!(core.sources().unwrap()[0].title.as_deref(), Some("Science Digest"));
}

/// `dc:subject` is how RSS 1.0 (and many RSS 2.0 feeds) give an item's category.
#[tokio::test(flavor = "multi_thread")]
async fn rss1_dc_subject_becomes_a_category() {
    let server = TestServer::start().await;
    server.route("/index.rdf", Route::fixture("rss1.rdf", "application/rdf+xml"));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/index.rdf");
    add(&core, std::slice::from_ref(&url));
    sync(&core).await;

    let articles = articles_of(&core, &url);
    assert_eq!(article_by_title(&articles, "Caspian seal population is recovering").categories, ["Ecology"]);
    assert_eq!(article_by_title(&articles, "Why Azerbaijan has so many mud volcanoes").categories, ["Geology"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn rss091_latin1_items_are_stored() {
    let server = TestServer::start().await;
    // text/xml without a charset: the XML declaration (ISO-8859-1) decides.
    server.route("/rss091.xml", Route::fixture("rss091.xml", "text/xml"));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/rss091.xml");
    add(&core, std::slice::from_ref(&url));

    let before = chrono::Utc::now() - chrono::Duration::seconds(5);
    let report = sync(&core).await;
    let after = chrono::Utc::now() + chrono::Duration::seconds(5);
    let r = report_for(&report, &url);
    assert_eq!((r.status, r.new, r.error.as_deref()), (SyncStatus::Ok, 2, None), "{r:?}");

    let articles = articles_of(&core, &url);
    let cafe = article_by_title(&articles, "Café René reopens on Market Street");
    assert_eq!(cafe.url.as_deref(), Some("http://gazette.example/news/cafe-rene.html"));
    assert_eq!(cafe.guid, "http://gazette.example/news/cafe-rene.html", "no guid: the link is the identity");
    assert_eq!(rfc3339(cafe.published_at), "2025-06-06T05:30:00Z");
    assert_eq!(cafe.image_url.as_deref(), Some(server.url("/pics/cafe.gif").as_str()));
    assert_eq!(cafe.author, None);
    assert!(cafe.categories.is_empty());
    assert!(cafe.summary.as_deref().unwrap().starts_with("The café is back"), "{:?}", cafe.summary);

    // No date in the item: the time it was first seen.
    let library = article_by_title(&articles, "Library extends opening hours");
    assert!(library.published_at >= before && library.published_at <= after, "{}", library.published_at);
    assert_eq!(core.sources().unwrap()[0].title.as_deref(), Some("Old Town Gazette"));
}

#[tokio::test(flavor = "multi_thread")]
async fn atom_entries_are_stored_with_all_fields_and_utc_dates() {
    let server = TestServer::start().await;
    server.route("/feed.atom", Route::fixture("atom.xml", ATOM));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/feed.atom");
    add(&core, std::slice::from_ref(&url));

    let report = sync(&core).await;
    let r = report_for(&report, &url);
    assert_eq!((r.status, r.new, r.error.as_deref()), (SyncStatus::Ok, 2, None), "{r:?}");

    let articles = articles_of(&core, &url);
    let roads = article_by_guid(&articles, "tag:atom.blog.example,2025:entry-2");
    assert_eq!(roads.title, "Mountain roads of Shaki");
    assert_eq!(rfc3339(roads.published_at), "2025-06-07T06:00:00Z", "published at +04:00");
    assert_eq!(roads.updated_at.map(rfc3339).as_deref(), Some("2025-06-07T07:30:00Z"));
    assert_eq!(roads.author.as_deref(), Some("Aysel Karimova"));
    assert_eq!(roads.categories, ["Travel", "mountains"], "label when given, else term");
    assert_eq!(roads.summary.as_deref(), Some("Switchbacks, chestnut forests and a caravanserai."));

    let tea = article_by_guid(&articles, "tag:atom.blog.example,2025:entry-1");
    assert_eq!(tea.title, "Tea & jam in Lankaran", "type=\"html\" title is decoded to text");
    // No <published>: <updated> at -03:00.
    assert_eq!(rfc3339(tea.published_at), "2025-05-30T19:20:00Z");
    assert_eq!(tea.author.as_deref(), Some("Murad Hasanov"));
    assert_eq!(tea.categories, ["Food"]);
    assert_eq!(core.sources().unwrap()[0].title.as_deref(), Some("Field Notes"));
}

/// Links, `<img src>` and `<a href>` inside content are relative to the `xml:base` in
/// scope (feed's, then entry's on top), not to the URL the feed was fetched from.
#[tokio::test(flavor = "multi_thread")]
async fn atom_xml_base_on_feed_and_entry_resolves_relative_urls() {
    let server = TestServer::start().await;
    server.route("/feed.atom", Route::fixture("atom.xml", ATOM));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/feed.atom");
    add(&core, std::slice::from_ref(&url));
    sync(&core).await;
    let articles = articles_of(&core, &url);

    // Entry with xml:base="2025/06/" under the feed's xml:base="http://atom.blog.example/blog/".
    let roads = article_by_guid(&articles, "tag:atom.blog.example,2025:entry-2");
    assert_eq!(roads.url.as_deref(), Some("http://atom.blog.example/blog/2025/06/mountain-roads.html"));
    let html = roads.content_html.as_deref().unwrap();
    for expected in [
        r#"src="http://atom.blog.example/blog/2025/06/images/road.jpg""#,
        r#"href="http://atom.blog.example/blog/about.html""#,
        r#"href="http://atom.blog.example/blog/2025/06/photos/""#,
        r#"href="http://atom.blog.example/contact""#,
    ] {
        assert!(html.contains(expected), "expected {expected} in {html}");
    }
    assert_eq!(roads.image_url.as_deref(), Some("http://atom.blog.example/blog/2025/06/images/road.jpg"));

    // Entry without its own xml:base: the feed's applies.
    let tea = article_by_guid(&articles, "tag:atom.blog.example,2025:entry-1");
    assert_eq!(tea.url.as_deref(), Some("http://atom.blog.example/blog/2025/05/lankaran-tea.html"));
    let html = tea.content_html.as_deref().unwrap();
    assert!(html.contains(r#"src="http://atom.blog.example/blog/img/tea.png""#), "{html}");
    assert!(html.contains(r#"href="http://atom.blog.example/blog/2025/05/map.html""#), "{html}");
    assert_eq!(tea.image_url.as_deref(), Some("http://atom.blog.example/blog/img/tea.png"));

    for a in &articles {
        let html = a.content_html.as_deref().unwrap_or("");
        assert!(!html.contains(&server.url("")), "nothing resolved against the fetch URL: {html}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn json_feed_items_are_stored_with_all_fields_and_utc_dates() {
    let server = TestServer::start().await;
    server.route("/feed.json", Route::fixture("feed.json", JSON_FEED));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/feed.json");
    add(&core, std::slice::from_ref(&url));

    let report = sync(&core).await;
    let r = report_for(&report, &url);
    assert_eq!((r.status, r.new, r.error.as_deref()), (SyncStatus::Ok, 2, None), "{r:?}");

    let articles = articles_of(&core, &url);
    let fiber = article_by_guid(&articles, "https://tech.az.example/2025/06/fiber");
    assert_eq!(fiber.title, "Trans-Caspian fiber link goes live");
    assert_eq!(fiber.url.as_deref(), Some("https://tech.az.example/2025/06/fiber"));
    assert_eq!(rfc3339(fiber.published_at), "2025-06-05T04:00:00Z");
    assert_eq!(fiber.author.as_deref(), Some("Kamran Ismayilov"));
    assert_eq!(fiber.categories, ["Telecom", "Infrastructure"]);
    assert_eq!(fiber.summary.as_deref(), Some("The cable doubles capacity to Central Asia."));
    assert!(fiber.content_html.as_deref().unwrap().contains("<em>fiber</em>"));

    let startups = article_by_guid(&articles, "tw-2025-0604");
    assert_eq!(rfc3339(startups.published_at), "2025-06-04T17:30:00Z");
    assert_eq!(startups.author.as_deref(), Some("Tech Desk"), "items without authors inherit the feed's");
    assert_eq!(startups.categories, ["Startups"]);
    assert_eq!(startups.image_url.as_deref(), Some("https://tech.az.example/img/startups.png"));
    assert_eq!(core.sources().unwrap()[0].title.as_deref(), Some("Caspian Tech Weekly"));
}

/// JSON Feed's item `image` is the article's main image.
#[tokio::test(flavor = "multi_thread")]
async fn json_feed_item_image_field_becomes_image_url() {
    let server = TestServer::start().await;
    server.route("/feed.json", Route::fixture("feed.json", JSON_FEED));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/feed.json");
    add(&core, std::slice::from_ref(&url));
    sync(&core).await;

    let fiber = article_by_guid(&articles_of(&core, &url), "https://tech.az.example/2025/06/fiber");
    assert_eq!(fiber.image_url.as_deref(), Some("https://tech.az.example/img/fiber.jpg"));
}

#[tokio::test(flavor = "multi_thread")]
async fn windows_1251_feed_titles_are_correct_cyrillic() {
    let server = TestServer::start().await;
    // The charset only in the XML declaration (the HTTP header names none), then the same
    // bytes where HTTP names it too. Separate databases: one story is stored once per DB.
    server.route("/ru.xml", Route::fixture("ru-windows-1251.xml", RSS));
    server.route("/ru-charset.xml", Route::fixture("ru-windows-1251.xml", "application/xml; charset=windows-1251"));
    for path in ["/ru.xml", "/ru-charset.xml"] {
        let (_dir, core) = temp_core(fast_options());
        let url = server.url(path);
        add(&core, std::slice::from_ref(&url));
        let report = sync(&core).await;
        let r = report_for(&report, &url);
        assert_eq!((r.status, r.new, r.error.as_deref()), (SyncStatus::Ok, 3, None), "{r:?}");
        let articles = articles_of(&core, &url);
        let titles: Vec<&str> = articles.iter().map(|a| a.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Баку примет международный форум по энергетике",
                "В Тбилиси открылась выставка «Весна» — вход бесплатный",
                "Ёлки и ёжики: в Ереване готовят зимний фестиваль",
            ],
            "{path}"
        );
        let forum = &articles[0];
        assert_eq!(forum.author.as_deref(), Some("Иван Петров"));
        assert_eq!(forum.categories, ["Экономика"]);
        assert_eq!(forum.summary.as_deref(), Some("Делегации из двенадцати стран приедут в столицу Азербайджана."));
        assert_eq!(rfc3339(forum.published_at), "2025-06-10T09:00:00Z");
        let source = &core.sources().unwrap()[0];
        assert_eq!(source.title.as_deref(), Some("Новости Кавказа"));
        assert_eq!(source.language.as_deref(), Some("ru"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn azerbaijani_feed_text_is_stored_exactly() {
    let server = TestServer::start().await;
    server.route("/az.xml", Route::fixture("az.xml", "application/rss+xml; charset=UTF-8"));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/az.xml");
    add(&core, std::slice::from_ref(&url));

    let report = sync(&core).await;
    assert_eq!(report_for(&report, &url).new, 4);
    let articles = articles_of(&core, &url);
    let titles: Vec<&str> = articles.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "SON DƏQİQƏ: BAKIDA GÜCLÜ KÜLƏK ƏSİR",
            "Bakıda yeni metro stansiyası açıldı",
            "Şəkidə ipək festivalı: gözəl çiçəklər və ağ şallar",
            "İçərişəhərdə Gülüstan konserti keçiriləcək",
        ]
    );
    let metro = article_by_guid(&articles, "xb-301");
    assert_eq!(metro.author.as_deref(), Some("Günay Əhmədova"));
    assert_eq!(metro.categories, ["Cəmiyyət"]);
    assert_eq!(metro.image_url.as_deref(), Some("https://xeber.az.example/img/metro.jpg"));
    assert_eq!(rfc3339(metro.published_at), "2025-06-10T05:00:00Z");
    assert_eq!(article_by_guid(&articles, "xb-299").categories, ["İncəsənət"]);
    assert!(article_by_guid(&articles, "xb-302").is_breaking, "\"SON DƏQİQƏ:\" marks breaking news");
    assert!(!metro.is_breaking);
    let source = &core.sources().unwrap()[0];
    assert_eq!(source.title.as_deref(), Some("Xəbərlər — Azərbaycan"));
}

#[tokio::test(flavor = "multi_thread")]
async fn gzip_encoded_feed_is_decoded() {
    let server = TestServer::start().await;
    server.route("/rss.xml.gz", Route::fixture("rss2.xml", RSS).gzipped());
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/rss.xml.gz");
    add(&core, std::slice::from_ref(&url));

    let report = sync(&core).await;
    let r = report_for(&report, &url);
    assert_eq!((r.status, r.new, r.error.as_deref()), (SyncStatus::Ok, 3, None), "{r:?}");
    let accept = server.requests("/rss.xml.gz")[0].get("accept-encoding").map(|v| v.to_str().unwrap().to_owned());
    assert!(accept.as_deref().is_some_and(|a| a.contains("gzip")), "{accept:?}");
}

/// The fetcher undoes content codings itself (core/src/fetch/decode.rs): brotli, a gzip
/// body of two members (libdeflate's one call would stop after the first), and a corrupt
/// one, which fails with a reason and stores nothing.
#[tokio::test(flavor = "multi_thread")]
async fn brotli_multi_member_gzip_and_corrupt_gzip_feeds() {
    use std::io::Write;
    let rss = fixture("rss2.xml");
    let encoded = |coding: &str, body: Vec<u8>| Route::Custom {
        status: 200,
        headers: vec![("content-type".into(), RSS.into()), ("content-encoding".into(), coding.into())],
        body: body.into(),
    };
    let gzip = |part: &[u8]| {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(part).unwrap();
        encoder.finish().unwrap()
    };
    let mut brotli = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut brotli, 4096, 5, 22);
        writer.write_all(&rss).unwrap();
    }
    // The document cut in two, each half its own gzip member.
    let (first, second) = rss.split_at(rss.len() / 2);
    let two_members = [gzip(first), gzip(second)].concat();
    let mut corrupt = gzip(&rss);
    let middle = corrupt.len() / 2;
    corrupt[middle] ^= 0x5a;

    let server = TestServer::start().await;
    server.route("/br", encoded("br", brotli));
    server.route("/members", encoded("gzip", two_members));
    server.route("/corrupt", encoded("gzip", corrupt));
    let (_dir, core) = temp_core(fast_options());
    let urls = [server.url("/br"), server.url("/members"), server.url("/corrupt")];
    add(&core, &urls);

    let report = sync(&core).await;
    for url in &urls[..2] {
        let r = report_for(&report, url);
        assert_eq!((r.status, r.new, r.error.as_deref()), (SyncStatus::Ok, 3, None), "{url}: {r:?}");
    }
    let r = report_for(&report, &urls[2]);
    assert_eq!((r.status, r.new), (SyncStatus::Error, 0), "{r:?}");
    assert!(r.error.as_deref().is_some_and(|e| e.contains("gzip-compressed body is corrupt")), "{r:?}");
    let accept = server.requests("/br")[0].get("accept-encoding").map(|v| v.to_str().unwrap().to_owned());
    assert!(accept.as_deref().is_some_and(|a| a.contains("br") && a.contains("gzip")), "{accept:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_format_in_one_sync_each_reported_and_identified() {
    let server = TestServer::start().await;
    let feeds = [
        ("/rss2", "rss2.xml", RSS, 3),
        ("/rss1", "rss1.rdf", "application/rdf+xml", 2),
        ("/rss091", "rss091.xml", "text/xml", 2),
        ("/atom", "atom.xml", ATOM, 2),
        ("/json", "feed.json", JSON_FEED, 2),
        ("/ru", "ru-windows-1251.xml", RSS, 3),
        ("/az", "az.xml", RSS, 4),
    ];
    for (path, file, ct, _) in feeds {
        server.route(path, Route::fixture(file, ct));
    }
    let (_dir, core) = temp_core(fast_options());
    let urls: Vec<String> = feeds.iter().map(|(p, ..)| server.url(p)).collect();
    add(&core, &urls);

    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = events.clone();
    let report = core.run_once(move |e| seen.lock().unwrap().push(e)).await.unwrap();
    assert_eq!(report.sources.len(), feeds.len());
    for ((_, file, _, count), url) in feeds.iter().zip(&urls) {
        let r = report_for(&report, url);
        assert_eq!((r.status, r.new, r.error.as_deref()), (SyncStatus::Ok, *count, None), "{file}: {r:?}");
        assert_eq!(articles_of(&core, url).len(), *count as usize, "{file}");
    }
    assert_eq!(report.new_total(), 18);
    let events = events.lock().unwrap();
    let started = events.iter().filter(|e| matches!(e, caliber_core::SyncEvent::Started { .. })).count();
    let finished = events.iter().filter(|e| matches!(e, caliber_core::SyncEvent::Finished { .. })).count();
    assert_eq!((started, finished), (feeds.len(), feeds.len()), "{events:?}");
}

/// Feeds feed-rs refused or read as empty (issue 11; feedparser's corpus, tests/conformance).
#[tokio::test(flavor = "multi_thread")]
async fn tolerant_feeds_are_read_never_ok_with_nothing() {
    let server = TestServer::start().await;
    let feeds: [(&str, &str); 6] = [
        // Atom 0.3: escaped and base64 content, issued/modified.
        ("/atom03", r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><entry><title>Atom zero three</title>
            <link rel="alternate" type="text/html" href="http://example.org/a03"/><id>tag:a03</id>
            <issued>2004-01-01T19:48:21Z</issued><modified>2004-01-02T19:48:21Z</modified>
            <content type="text/html" mode="escaped">Example &lt;b&gt;Atom&lt;/b&gt;</content></entry></feed>"#),
        // <rss> without a version, in the Userland namespace.
        ("/userland", r#"<rss xmlns="http://backend.userland.com/rss2"><channel><item><title>Userland item</title>
            <link>http://example.org/u</link></item></channel></rss>"#),
        // RSS 1.0 item named by rdf:about alone.
        ("/rdf", r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
            <channel rdf:about="http://example.org/index.rdf"/><item rdf:about="http://example.org/1"></item></rdf:RDF>"#),
        // An empty type, and a DOCTYPE in CDATA: feed-rs refused the whole feed.
        ("/odd", r#"<rss version="2.0"><channel><item><title type="">Odd title</title>
            <description><![CDATA[ <!DOCTYPE ]]> and text</description></item></channel></rss>"#),
        // Plain text with markup-like words; dc:title, dcterms dates, media:category, author address.
        ("/dc", r#"<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"
            xmlns:media="http://search.yahoo.com/mrss/"><channel><item><dc:title>DC title</dc:title>
            <guid>http://example.org/permalink</guid><dc:description>History of the &amp;lt;blink&amp;gt; tag</dc:description>
            <dcterms:issued>2004-01-01T19:48:21Z</dcterms:issued><media:category>cat1</media:category>
            <author>me@example.com (Example editor)</author></item></channel></rss>"#),
        // Atom text content is text: the sanitiser must not eat "<blink>".
        ("/text", r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>T</title><id>tag:t</id>
            <content type="text">History of the &lt;blink&gt; tag</content></entry></feed>"#),
    ];
    for (path, body) in feeds {
        server.route(path, Route::body(body.to_owned(), "application/xml"));
    }
    // Items, but none readable (a namespace no reader knows); and CDF.
    server.route("/unknown", Route::body(r#"<rss version="2.0"><channel><x:item xmlns:x="urn:x"><x:title>t</x:title></x:item></channel></rss>"#, "application/xml"));
    server.route("/cdf", Route::body(r#"<CHANNEL HREF="http://example.org/"><ITEM HREF="http://example.org/1"><TITLE>t</TITLE></ITEM></CHANNEL>"#, "application/xml"));
    let (_dir, core) = temp_core(fast_options());
    let mut urls: Vec<String> = feeds.iter().map(|(p, _)| server.url(p)).collect();
    urls.push(server.url("/unknown"));
    urls.push(server.url("/cdf"));
    add(&core, &urls);
    let report = sync(&core).await;

    for (path, _) in feeds {
        let r = report_for(&report, &server.url(path));
        assert_eq!((r.status, r.new, r.error.as_deref()), (SyncStatus::Ok, 1, None), "{path}: {r:?}");
    }
    let one = |path: &str| articles_of(&core, &server.url(path)).remove(0);
    let a03 = one("/atom03");
    assert_eq!((a03.title.as_str(), a03.url.as_deref(), a03.guid.as_str()), ("Atom zero three", Some("http://example.org/a03"), "tag:a03"));
    assert_eq!(rfc3339(a03.published_at), "2004-01-01T19:48:21Z");
    assert_eq!(a03.content_html.as_deref(), Some("Example <b>Atom</b>"));
    assert_eq!(one("/userland").url.as_deref(), Some("http://example.org/u"));
    let rdf = one("/rdf");
    assert_eq!((rdf.guid.as_str(), rdf.url.as_deref()), ("http://example.org/1", Some("http://example.org/1")));
    let odd = one("/odd");
    assert_eq!(odd.title, "Odd title");
    let dc = one("/dc");
    assert_eq!((dc.title.as_str(), dc.url.as_deref()), ("DC title", Some("http://example.org/permalink")), "dc:title; a permalink guid is the link");
    assert_eq!(dc.summary.as_deref(), Some("History of the <blink> tag"));
    assert_eq!(rfc3339(dc.published_at), "2004-01-01T19:48:21Z");
    assert_eq!(dc.categories, ["cat1"]);
    assert_eq!(dc.author.as_deref(), Some("Example editor"));
    let text = one("/text");
    assert_eq!(text.content_html.as_deref(), Some("History of the &lt;blink&gt; tag"));

    let unknown = report_for(&report, &server.url("/unknown"));
    assert_eq!(unknown.status, SyncStatus::Error, "items but none readable is an error: {unknown:?}");
    assert!(unknown.error.as_deref().unwrap().contains("no article could be read"), "{unknown:?}");
    let cdf = report_for(&report, &server.url("/cdf"));
    assert_eq!(cdf.status, SyncStatus::Error);
    assert!(cdf.error.as_deref().unwrap().contains("CDF"), "{cdf:?}");
}

/// Good items are kept; empty ones are skipped and said on the source.
#[tokio::test(flavor = "multi_thread")]
async fn empty_items_are_reported_and_the_rest_kept() {
    let server = TestServer::start().await;
    server.route("/feed", Route::body(r#"<rss version="2.0"><channel><item><title>Kept</title></item><item> </item></channel></rss>"#, "application/xml"));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/feed");
    add(&core, std::slice::from_ref(&url));
    let report = sync(&core).await;
    let r = report_for(&report, &url);
    assert_eq!((r.status, r.new), (SyncStatus::Ok, 1), "{r:?}");
    assert!(r.error.as_deref().is_some_and(|e| e.contains("1 of 2 items are empty")), "{r:?}");
    assert_eq!(articles_of(&core, &url)[0].title, "Kept");
}
