//! End-to-end sync benchmark (see BENCHMARKS.md at the workspace root).
//!
//! One process, one run: generate a deterministic corpus (50 feeds × 200 items), serve it
//! from an in-process HTTP server, then time the real `caliber` binary (cold sync, the
//! moment 10,000 articles are stored and listable, an unchanged re-sync, an all-304
//! re-sync), `newsboat` on the same feeds, and `Core::search` over 100,000 articles.
//! Prints a table and writes it as markdown to `target/bench-sync.md`.
//!
//! Targets that are missed are reported as FAIL (the bench does not panic for those);
//! correctness checks (article count, sanitisation, 304 statuses, search results) panic.
//!
//! `CALIBER_BENCH_RUNS` overrides the number of timed runs per case (default 5).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use caliber_core::testing::{PreparedArticle, SourceUpdate, Store};
use caliber_core::{Core, CoreConfig, FetchOptions, HttpClient, Retention, SourceKind, fts_query};
use rusqlite::{Connection, OpenFlags};

const SEED: u64 = 0x00ca_11be_5eed_2026;
const FEEDS: usize = 50;
const ITEMS_PER_FEED: usize = 200;
const SYNC_ARTICLES: i64 = (FEEDS * ITEMS_PER_FEED) as i64;
const SEARCH_SOURCES: usize = 500;
const SEARCH_ARTICLES: usize = SEARCH_SOURCES * ITEMS_PER_FEED; // 100,000
/// 2026-01-01T00:00:00Z: items are dated back from here (fixed, so bodies and ETags are stable).
const BASE_TIME: i64 = 1_767_225_600;

// Targets.
const TARGET_304_MS: f64 = 50.0;
const TARGET_UNCHANGED_MS: f64 = 1000.0;
const TARGET_RSS_MIB: f64 = 100.0;
const TARGET_SEARCH_P99_MS: f64 = 30.0;

const PROXY_VARS: &[&str] = &["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"];

// ---------------------------------------------------------------------------------------
// Deterministic randomness and vocabulary
// ---------------------------------------------------------------------------------------

/// xorshift64* — deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        for _ in 0..4 {
            rng.next();
        }
        rng
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Inclusive range.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

/// English news vocabulary, roughly by frequency (words are drawn with Zipf weights by rank).
const EN_WORDS: &[&str] = &[
    "the", "of", "and", "to", "in", "a", "that", "is", "for", "on", "said", "with", "was", "as", "by", "it", "at", "from",
    "has", "be", "have", "are", "an", "he", "his", "were", "will", "not", "but", "this", "which", "after", "who", "they",
    "their", "been", "more", "its", "also", "new", "year", "would", "had", "one", "people", "government", "about", "two",
    "than", "over", "minister", "president", "first", "last", "country", "could", "told", "into", "percent", "state",
    "years", "week", "officials", "city", "between", "police", "during", "while", "other", "some", "since", "billion",
    "million", "economy", "market", "company", "according", "national", "there", "against", "former", "three", "all",
    "public", "security", "report", "where", "including", "may", "because", "before", "under", "many", "most", "such",
    "when", "only", "them", "out", "what", "up", "no", "so", "him", "we", "her", "she", "if", "or", "our", "time", "world",
    "day", "month", "months", "prices", "energy", "oil", "gas", "bank", "central", "rates", "inflation", "growth", "trade",
    "exports", "imports", "workers", "union", "election", "parliament", "party", "vote", "voters", "campaign", "court",
    "judge", "law", "bill", "council", "mayor", "region", "regional", "local", "foreign", "ministry", "military", "forces",
    "border", "talks", "agreement", "deal", "sanctions", "investment", "investors", "shares", "stocks", "budget", "tax",
    "spending", "debt", "health", "hospital", "doctors", "patients", "schools", "students", "teachers", "university",
    "research", "scientists", "climate", "weather", "storm", "flooding", "rain", "temperatures", "water", "power",
    "electricity", "fuel", "transport", "railway", "airport", "flights", "road", "traffic", "construction", "housing",
    "rent", "families", "children", "women", "men", "residents", "community", "village", "capital", "streets", "festival",
    "music", "film", "museum", "art", "football", "match", "team", "season", "coach", "players", "league", "championship",
    "goals", "victory", "defeat", "fans", "stadium", "technology", "internet", "software", "data", "phone", "digital",
    "online", "platform", "startup", "cyber", "attack", "investigation", "prosecutors", "arrested", "charges", "crime",
    "fire", "accident", "emergency", "rescue", "killed", "injured", "protest", "demonstrators", "strike", "crisis",
    "reform", "policy", "plan", "project", "program", "funding", "support", "aid", "development", "infrastructure",
    "agriculture", "farmers", "harvest", "wheat", "tourism", "tourists", "hotel", "summer", "winter", "spring", "autumn",
    "morning", "evening", "night", "statement", "spokesman", "interview", "conference", "summit", "delegation",
    "ambassador", "embassy", "visit", "cooperation", "partnership", "relations", "neighbouring", "international",
    "european", "global", "domestic", "industry", "factory", "production", "output", "sales", "revenue", "profit",
    "losses", "quarter", "analysts", "forecast", "expected", "announced", "reported", "confirmed", "denied", "warned",
    "promised", "launched", "opened", "closed", "increased", "decreased", "rose", "fell", "remained", "continued", "began",
    "ended", "planned", "approved", "rejected", "signed", "discussed", "considered", "described", "noted", "added",
    "explained", "stressed", "insisted", "suggested", "important", "significant", "major", "small", "large", "long",
    "short", "high", "low", "strong", "weak", "recent", "previous", "next", "early", "late", "final", "pipeline",
    "refinery", "shipping", "port", "corridor", "caspian", "drought", "wildfire", "earthquake", "vaccine", "pension",
    "salary", "wages", "unemployment", "mortgage", "currency", "exchange", "bond", "auction", "tender", "contract",
    "supplier", "consumer", "retail", "grocery", "bakery", "orchestra", "theatre", "novel", "poet", "gallery",
    "exhibition", "olympic", "tournament", "wrestling", "chess", "marathon", "cyclist", "satellite", "telescope",
    "laboratory", "genome", "robot", "algorithm", "semiconductor", "battery", "solar", "wind", "turbine", "nuclear",
    "hydrogen", "emissions", "recycling", "forest", "river", "glacier", "mountain", "coast", "island", "desert",
];

/// Russian news vocabulary, roughly by frequency.
const RU_WORDS: &[&str] = &[
    "в", "и", "на", "с", "по", "что", "не", "из", "за", "о", "к", "для", "как", "это", "от", "года", "также", "был", "он",
    "они", "его", "при", "а", "до", "после", "будет", "может", "президент", "правительство", "министр", "страны",
    "компании", "году", "время", "рублей", "миллионов", "миллиардов", "процентов", "сообщил", "заявил", "отметил",
    "словам", "новый", "новые", "первый", "области", "города", "регионе", "власти", "глава", "закон", "суд", "полиция",
    "выборы", "партии", "депутаты", "совет", "экономика", "рынок", "цены", "нефть", "газ", "банк", "ставка", "инфляция",
    "рост", "торговля", "экспорт", "импорт", "бюджет", "налог", "долг", "здоровье", "больница", "врачи", "школы",
    "студенты", "университет", "исследование", "ученые", "климат", "погода", "дождь", "температура", "вода", "энергия",
    "электричество", "транспорт", "железная", "дорога", "аэропорт", "рейсы", "строительство", "жилье", "семьи", "дети",
    "жители", "село", "столица", "улицы", "фестиваль", "музыка", "фильм", "музей", "искусство", "футбол", "матч",
    "команда", "сезон", "тренер", "игроки", "лига", "чемпионат", "победа", "поражение", "болельщики", "стадион",
    "технологии", "интернет", "данные", "телефон", "цифровой", "платформа", "атака", "расследование", "прокуратура",
    "задержан", "обвинение", "преступление", "пожар", "авария", "спасатели", "погибли", "пострадали", "протест",
    "забастовка", "кризис", "реформа", "политика", "план", "проект", "программа", "финансирование", "поддержка",
    "помощь", "развитие", "инфраструктура", "сельское", "хозяйство", "фермеры", "урожай", "пшеница", "туризм", "туристы",
    "гостиница", "лето", "зима", "весна", "осень", "утро", "вечер", "ночь", "заявление", "интервью", "конференция",
    "саммит", "делегация", "посол", "визит", "сотрудничество", "отношения", "международный", "европейский", "мировой",
    "промышленность", "завод", "производство", "продажи", "выручка", "прибыль", "убытки", "квартал", "аналитики",
    "прогноз", "ожидается", "объявил", "подтвердил", "опроверг", "предупредил", "пообещал", "запустил", "открыл",
    "закрыл", "вырос", "снизился", "продолжил", "начал", "завершил", "одобрил", "подписал", "обсудили", "важный",
    "крупный", "большой", "высокий", "низкий", "сильный", "последний", "следующий", "трубопровод", "порт", "коридор",
    "каспий", "засуха", "землетрясение", "вакцина", "пенсия", "зарплата", "безработица", "ипотека", "валюта", "биржа",
];

const EN_CATEGORIES: &[&str] =
    &["Politics", "Economy", "World", "Business", "Sports", "Technology", "Science", "Health", "Culture", "Society", "Energy", "Regions"];
const RU_CATEGORIES: &[&str] =
    &["Политика", "Экономика", "В мире", "Бизнес", "Спорт", "Технологии", "Наука", "Здоровье", "Культура", "Общество", "Энергетика", "Регионы"];
const EN_AUTHORS: &[&str] = &["Anna Smith", "James O'Connor", "Leyla Aliyeva", "Tom Becker", "Maria Lopez", "Ravi Patel", "Emma Brown"];
const RU_AUTHORS: &[&str] = &["Иван Петров", "Ольга Смирнова", "Анар Мамедов", "Елена Кузнецова", "Дмитрий Орлов"];
const EN_SYLLABLES: &[&str] =
    &["ka", "zu", "vor", "tel", "mi", "ran", "dox", "bel", "quin", "sa", "tor", "vex", "lu", "mar", "ny", "pe", "gri", "sol", "fen", "ix"];
const RU_SYLLABLES: &[&str] =
    &["ка", "зу", "вор", "тел", "ми", "ран", "док", "бел", "квин", "са", "тор", "векс", "лу", "мар", "ны", "пе", "гри", "сол", "фен", "икс"];
const EN_RARE_POOL: usize = 16_000;
const RU_RARE_POOL: usize = 4_000;

/// A made-up word that is in few documents (each article carries one or two).
fn rare_word(syllables: &[&str], k: usize) -> String {
    let n = syllables.len();
    let mut word = String::new();
    let mut k = k;
    for _ in 0..4 {
        word.push_str(syllables[k % n]);
        k /= n;
    }
    word
}

struct Lang {
    code: &'static str,
    words: &'static [&'static str],
    /// Cumulative Zipf weights.
    cdf: Vec<f64>,
    rare: Vec<String>,
    categories: &'static [&'static str],
    authors: &'static [&'static str],
}

impl Lang {
    fn new(code: &'static str, words: &'static [&'static str], syllables: &[&str], pool: usize, categories: &'static [&'static str], authors: &'static [&'static str]) -> Self {
        let mut total = 0.0;
        let cdf = (0..words.len())
            .map(|r| {
                total += 1.0 / (r as f64 + 1.0);
                total
            })
            .collect::<Vec<_>>();
        let cdf = cdf.into_iter().map(|c| c / total).collect();
        // Spread the pool over the syllable space so words do not share long prefixes.
        let rare = (0..pool).map(|k| rare_word(syllables, k * 7919 % 160_000)).collect();
        Lang { code, words, cdf, rare, categories, authors }
    }
    fn word(&self, rng: &mut Rng) -> &'static str {
        let u = rng.unit();
        let i = self.cdf.partition_point(|&c| c < u).min(self.words.len() - 1);
        self.words[i]
    }
}

struct Vocab {
    en: Lang,
    ru: Lang,
}

impl Vocab {
    fn new() -> Self {
        Vocab {
            en: Lang::new("en", EN_WORDS, EN_SYLLABLES, EN_RARE_POOL, EN_CATEGORIES, EN_AUTHORS),
            ru: Lang::new("ru", RU_WORDS, RU_SYLLABLES, RU_RARE_POOL, RU_CATEGORIES, RU_AUTHORS),
        }
    }
    /// A fifth of the feeds are Russian.
    fn for_feed(&self, feed: usize) -> &Lang {
        if feed % 5 == 4 { &self.ru } else { &self.en }
    }
}

fn capitalize(w: &str) -> String {
    let mut chars = w.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

// ---------------------------------------------------------------------------------------
// Corpus: items, HTML bodies, feed documents
// ---------------------------------------------------------------------------------------

struct GenItem {
    guid: String,
    link: String,
    title: String,
    summary: String,
    html: String,
    author: &'static str,
    categories: Vec<&'static str>,
    published: i64,
}

#[derive(Default)]
struct HostileCounts {
    script: usize,
    javascript: usize,
    iframe: usize,
    event_handlers: usize,
    style: usize,
    items_with_any: usize,
}

struct ItemGen<'a> {
    lang: &'a Lang,
    rng: Rng,
    feed: usize,
    /// Where absolute picture URLs point (the bench server, so offline pictures can be fetched).
    origin: &'a str,
    hostile_markup: bool,
    counts: HostileCounts,
}

impl ItemGen<'_> {
    fn sentence(&mut self, out: &mut String, rare: &mut Vec<String>, text: &mut String) {
        let n = self.rng.range(8, 20);
        let rare_at = if rare.is_empty() { usize::MAX } else { self.rng.below(n) };
        for i in 0..n {
            if i > 0 {
                out.push(' ');
            }
            let word = if i == rare_at { rare.pop().unwrap_or_default() } else { self.lang.word(&mut self.rng).to_owned() };
            let word = if i == 0 { capitalize(&word) } else { word };
            if text.len() < 240 {
                if !text.is_empty() {
                    text.push(' ');
                }
                text.push_str(&word);
            }
            let roll = self.rng.unit();
            if roll < 0.02 && i + 3 < n {
                // An inline link around this word and the next ones.
                let href = self.href();
                let _ = write!(out, "<a href=\"{href}\">{word}");
                continue_link(self, out, 2);
                out.push_str("</a>");
            } else if roll < 0.035 {
                let _ = write!(out, "<strong>{word}</strong>");
            } else if roll < 0.05 {
                let _ = write!(out, "<em>{word}</em>");
            } else {
                out.push_str(&word);
            }
            if i + 1 < n && self.rng.chance(0.06) {
                out.push(',');
            }
        }
        out.push('.');

        fn continue_link(g: &mut ItemGen<'_>, out: &mut String, words: usize) {
            for _ in 0..words {
                out.push(' ');
                out.push_str(g.lang.word(&mut g.rng));
            }
        }
    }

    fn href(&mut self) -> String {
        let n = self.rng.below(100_000);
        match self.rng.below(10) {
            0..=3 => format!("https://news{}.example.com/{}/{n}.html?ref=rss&amp;utm_source=feed", self.feed, self.lang.code),
            4 | 5 => format!("/articles/{n}"),
            6 => format!("../archive/{n}.html"),
            7 => format!("//cdn.example.net/docs/{n}.pdf"),
            8 if self.hostile_markup => {
                self.counts.javascript += 1;
                format!("javascript:void(track({n}))")
            }
            _ => format!("https://www.example.org/story/{n}"),
        }
    }

    fn img(&mut self, out: &mut String, n: usize) {
        let alt = format!("{} {}", self.lang.word(&mut self.rng), self.lang.word(&mut self.rng));
        // Relative, protocol-relative and absolute; all on the bench server.
        let src = match self.rng.below(4) {
            0 => format!("/images/2025/{}/{n}.jpg", self.feed),
            1 => format!("img/{n}-photo.png"),
            2 => format!("{}/pics/{}/{n}.webp", self.origin.trim_start_matches("http:"), self.feed),
            _ => format!("{}/media/{}/{n}.jpg", self.origin, self.feed),
        };
        if self.hostile_markup && self.rng.chance(0.1) {
            self.counts.event_handlers += 1;
            let _ = write!(out, "<img src=\"{src}\" alt=\"{alt}\" onerror=\"alert(document.cookie)\">");
        } else {
            let _ = write!(out, "<img src=\"{src}\" alt=\"{alt}\" width=\"800\" height=\"450\" loading=\"lazy\">");
        }
    }

    fn paragraph(&mut self, out: &mut String, rare: &mut Vec<String>, text: &mut String) {
        if self.hostile_markup && self.rng.chance(0.03) {
            self.counts.event_handlers += 1;
            out.push_str("<p onclick=\"steal(document.cookie)\" onmouseover=\"track()\">");
        } else if self.rng.chance(0.04) {
            self.counts.style += 1;
            out.push_str("<p style=\"color:#333;font-size:110%\">");
        } else {
            out.push_str("<p>");
        }
        for s in 0..self.rng.range(3, 6) {
            if s > 0 {
                out.push(' ');
            }
            self.sentence(out, rare, text);
        }
        out.push_str("</p>\n");
    }

    fn hostile_block(&mut self, out: &mut String, n: usize) {
        match self.rng.below(7) {
            0 => {
                self.counts.script += 1;
                let _ = writeln!(out, "<script>window.tracker && tracker.push({{id: {n}, t: 'view'}});</script>");
            }
            1 => {
                self.counts.script += 1;
                out.push_str("<script type=\"text/javascript\" src=\"https://evil.example/x.js\"></script>\n");
            }
            2 => {
                self.counts.iframe += 1;
                let _ = writeln!(out, "<iframe src=\"https://ads.example/frame?id={n}\" width=\"300\" height=\"250\"></iframe>");
            }
            3 => {
                self.counts.style += 1;
                out.push_str("<style>.ad{display:block} body{background:url(\"javascript:alert(1)\")}</style>\n");
            }
            4 => {
                self.counts.javascript += 1;
                self.counts.event_handlers += 1;
                let _ = writeln!(out, "<p><a href=\"JaVaScRiPt:alert({n})\" onmouseover=\"x()\">{} {}</a></p>",
                    self.lang.word(&mut self.rng), self.lang.word(&mut self.rng));
            }
            5 => {
                out.push_str("<form action=\"/subscribe\" method=\"post\"><input name=\"email\"><button>OK</button></form>\n");
            }
            _ => {
                self.counts.style += 1;
                out.push_str("<div style=\"position:fixed;top:0;left:0;width:100%\"><object data=\"movie.swf\"></object></div>\n");
            }
        }
    }

    /// One item; `j` is its index in its source (0 = newest).
    fn item(&mut self, j: usize) -> GenItem {
        let lang = self.lang;
        let before = (self.counts.script, self.counts.javascript, self.counts.iframe, self.counts.event_handlers, self.counts.style);
        let mut rare: Vec<String> = (0..self.rng.range(1, 2)).map(|_| self.rng.pick(&lang.rare).clone()).collect();
        let title = {
            let n = self.rng.range(6, 12);
            let words: Vec<&str> = (0..n).map(|_| lang.word(&mut self.rng)).collect();
            capitalize(&words.join(" "))
        };
        let target = self.rng.range(4096, 8192);
        let mut html = String::with_capacity(target + 1024);
        let mut summary = String::new();
        let n = self.rng.below(1_000_000);
        html.push_str("<figure>");
        self.img(&mut html, n);
        let _ = writeln!(html, "<figcaption>{} {} {}</figcaption></figure>",
            capitalize(lang.word(&mut self.rng)), lang.word(&mut self.rng), lang.word(&mut self.rng));
        self.paragraph(&mut html, &mut rare, &mut summary);
        let mut scratch = String::new();
        while html.len() < target {
            let roll = self.rng.unit();
            if self.hostile_markup && roll < 0.07 {
                self.hostile_block(&mut html, n);
            } else if roll < 0.15 {
                let _ = writeln!(html, "<h2>{}</h2>", capitalize(&(0..self.rng.range(3, 7)).map(|_| lang.word(&mut self.rng)).collect::<Vec<_>>().join(" ")));
            } else if roll < 0.22 {
                html.push_str("<ul>");
                for _ in 0..self.rng.range(2, 5) {
                    html.push_str("<li>");
                    self.sentence(&mut html, &mut rare, &mut scratch);
                    html.push_str("</li>");
                }
                html.push_str("</ul>\n");
            } else if roll < 0.27 {
                html.push_str("<blockquote>");
                self.paragraph(&mut html, &mut rare, &mut scratch);
                html.push_str("</blockquote>\n");
            } else if roll < 0.32 {
                html.push_str("<p>");
                let k = n + html.len();
                self.img(&mut html, k);
                html.push_str("</p>\n");
            } else {
                self.paragraph(&mut html, &mut rare, &mut scratch);
            }
        }
        let after = (self.counts.script, self.counts.javascript, self.counts.iframe, self.counts.event_handlers, self.counts.style);
        if before != after {
            self.counts.items_with_any += 1;
        }
        let categories = {
            let first = *self.rng.pick(lang.categories);
            let second = *self.rng.pick(lang.categories);
            if second != first && self.rng.chance(0.5) { vec![first, second] } else { vec![first] }
        };
        let published = BASE_TIME - (j as i64) * 3 * 3600 - (self.feed as i64) * 97 - self.rng.below(3000) as i64;
        GenItem {
            guid: format!("news{}-{}-{j}", self.feed, lang.code),
            link: format!("https://news{}.example.com/{}/{}/{j}.html", self.feed, lang.code, published / 86_400),
            title,
            summary: summary.chars().take(220).collect::<String>() + "…",
            html,
            author: lang.authors[self.rng.below(lang.authors.len())],
            categories,
            published,
        }
    }
}

fn datetime(ts: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(ts, 0).unwrap()
}

fn rss_document(feed: usize, lang: &Lang, items: &[GenItem]) -> String {
    let mut x = String::with_capacity(items.iter().map(|i| i.html.len() + 1500).sum());
    let _ = write!(
        x,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n\
         <title>News {feed} ({code})</title>\n<link>https://news{feed}.example.com/</link>\n\
         <description>Bench feed {feed}</description>\n<language>{code}</language>\n<lastBuildDate>{date}</lastBuildDate>\n\
         <generator>caliber bench</generator>\n",
        code = lang.code,
        date = datetime(BASE_TIME).to_rfc2822()
    );
    for it in items {
        let _ = write!(
            x,
            "<item>\n<title>{title}</title>\n<link>{link}</link>\n<guid isPermaLink=\"false\">{guid}</guid>\n\
             <pubDate>{date}</pubDate>\n<dc:creator>{author}</dc:creator>\n",
            title = xml_escape(&it.title),
            link = xml_escape(&it.link),
            guid = it.guid,
            date = datetime(it.published).to_rfc2822(),
            author = xml_escape(it.author),
        );
        for c in &it.categories {
            let _ = writeln!(x, "<category>{}</category>", xml_escape(c));
        }
        let _ = write!(
            x,
            "<description>{}</description>\n<content:encoded><![CDATA[{}]]></content:encoded>\n</item>\n",
            xml_escape(&it.summary),
            it.html
        );
    }
    x.push_str("</channel>\n</rss>\n");
    x
}

fn atom_document(feed: usize, lang: &Lang, items: &[GenItem]) -> String {
    let mut x = String::with_capacity(items.iter().map(|i| i.html.len() * 5 / 4 + 1500).sum());
    let _ = write!(
        x,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{code}\">\n\
         <title>News {feed} ({code})</title>\n<id>urn:uuid:00000000-0000-4000-8000-{feed:012}</id>\n<updated>{date}</updated>\n\
         <link rel=\"alternate\" href=\"https://news{feed}.example.com/\"/>\n",
        code = lang.code,
        date = datetime(BASE_TIME).to_rfc3339()
    );
    for it in items {
        let date = datetime(it.published).to_rfc3339();
        let _ = write!(
            x,
            "<entry>\n<title>{title}</title>\n<link rel=\"alternate\" type=\"text/html\" href=\"{link}\"/>\n<id>tag:news{feed}.example.com,2025:{guid}</id>\n\
             <published>{date}</published>\n<updated>{date}</updated>\n<author><name>{author}</name></author>\n",
            title = xml_escape(&it.title),
            link = xml_escape(&it.link),
            guid = it.guid,
            author = xml_escape(it.author),
        );
        for c in &it.categories {
            let _ = writeln!(x, "<category term=\"{}\"/>", xml_escape(c));
        }
        let _ = write!(
            x,
            "<summary type=\"text\">{}</summary>\n<content type=\"html\">{}</content>\n</entry>\n",
            xml_escape(&it.summary),
            xml_escape(&it.html)
        );
    }
    x.push_str("</feed>\n");
    x
}

struct FeedDoc {
    name: String,
    content_type: &'static str,
    body: Bytes,
    gzip: Bytes,
    etag: String,
    etag_gzip: String,
    last_modified: String,
}

struct Corpus {
    docs: Vec<FeedDoc>,
    raw_bytes: usize,
    gzip_bytes: usize,
    html_bytes: usize,
    hostile: HostileCounts,
    russian_items: usize,
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 3), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn generate_feed(vocab: &Vocab, origin: &str, feed: usize) -> (FeedDoc, usize, HostileCounts, usize) {
    let lang = vocab.for_feed(feed);
    let mut generator = ItemGen { lang, rng: Rng::new(SEED ^ ((feed as u64 + 1) * 0x1000_0001)), feed, origin, hostile_markup: true, counts: HostileCounts::default() };
    let items: Vec<GenItem> = (0..ITEMS_PER_FEED).map(|j| generator.item(j)).collect();
    let html_bytes = items.iter().map(|i| i.html.len()).sum();
    let (name, content_type, xml) = if feed.is_multiple_of(2) {
        (format!("{feed}.rss"), "application/rss+xml; charset=utf-8", rss_document(feed, lang, &items))
    } else {
        (format!("{feed}.atom"), "application/atom+xml; charset=utf-8", atom_document(feed, lang, &items))
    };
    let hash = fnv1a(xml.as_bytes());
    let gz = gzip(xml.as_bytes());
    let doc = FeedDoc {
        name,
        content_type,
        body: Bytes::from(xml.into_bytes()),
        gzip: Bytes::from(gz),
        etag: format!("\"{hash:016x}\""),
        etag_gzip: format!("\"{hash:016x}-gz\""),
        last_modified: httpdate::fmt_http_date(std::time::UNIX_EPOCH + Duration::from_secs(BASE_TIME as u64)),
    };
    let russian = if lang.code == "ru" { ITEMS_PER_FEED } else { 0 };
    (doc, html_bytes, generator.counts, russian)
}

impl Corpus {
    fn generate(vocab: &Vocab, origin: &str) -> Corpus {
        // Two threads (the machine has two cores); each feed has its own seed, so the
        // result does not depend on the split.
        let feeds: Vec<(FeedDoc, usize, HostileCounts, usize)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..2)
                .map(|t| s.spawn(move || (0..FEEDS).filter(|f| f % 2 == t).map(|f| (f, generate_feed(vocab, origin, f))).collect::<Vec<_>>()))
                .collect();
            let mut all: Vec<_> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
            all.sort_by_key(|(f, _)| *f);
            all.into_iter().map(|(_, r)| r).collect()
        });
        let mut corpus = Corpus { docs: Vec::new(), raw_bytes: 0, gzip_bytes: 0, html_bytes: 0, hostile: HostileCounts::default(), russian_items: 0 };
        for (doc, html_bytes, counts, russian) in feeds {
            corpus.raw_bytes += doc.body.len();
            corpus.gzip_bytes += doc.gzip.len();
            corpus.html_bytes += html_bytes;
            corpus.russian_items += russian;
            corpus.hostile.script += counts.script;
            corpus.hostile.javascript += counts.javascript;
            corpus.hostile.iframe += counts.iframe;
            corpus.hostile.event_handlers += counts.event_handlers;
            corpus.hostile.style += counts.style;
            corpus.hostile.items_with_any += counts.items_with_any;
            corpus.docs.push(doc);
        }
        corpus
    }
}

// ---------------------------------------------------------------------------------------
// HTTP server
// ---------------------------------------------------------------------------------------

struct ServerState {
    feeds: HashMap<String, FeedDoc>,
    /// On: strong ETag + Last-Modified, conditional requests answered with 304.
    /// Off: the same bodies with 200 and no validators (a server that never says "unchanged").
    validators: AtomicBool,
    requests: AtomicU64,
    not_modified: AtomicU64,
    gzipped: AtomicU64,
    conditional: AtomicU64,
    images: AtomicU64,
    image_bytes: AtomicU64,
    /// Picture bytes: a JPEG header, then filler; each picture is a prefix of it.
    picture: Bytes,
}

#[derive(Clone, Copy, Debug, Default)]
struct ServerCounts {
    requests: u64,
    not_modified: u64,
    gzipped: u64,
    conditional: u64,
    images: u64,
    image_bytes: u64,
}

impl std::ops::Sub for ServerCounts {
    type Output = ServerCounts;
    fn sub(self, o: ServerCounts) -> ServerCounts {
        ServerCounts {
            requests: self.requests - o.requests,
            not_modified: self.not_modified - o.not_modified,
            gzipped: self.gzipped - o.gzipped,
            conditional: self.conditional - o.conditional,
            images: self.images - o.images,
            image_bytes: self.image_bytes - o.image_bytes,
        }
    }
}

struct Server {
    state: Arc<ServerState>,
    urls: Vec<String>,
}

/// Pictures are 8–40 KiB.
const PICTURE_MIN: usize = 8 * 1024;
const PICTURE_MAX: usize = 40 * 1024;

impl Server {
    /// Bound first: the corpus needs the origin for its absolute picture URLs.
    fn bind() -> (std::net::TcpListener, String) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let origin = format!("http://{}", listener.local_addr().unwrap());
        (listener, origin)
    }

    fn start(listener: std::net::TcpListener, docs: Vec<FeedDoc>) -> Server {
        let names: Vec<String> = docs.iter().map(|d| d.name.clone()).collect();
        let mut picture = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00];
        let mut rng = Rng::new(SEED ^ 0x1a6e);
        while picture.len() < PICTURE_MAX {
            picture.extend_from_slice(&rng.next().to_le_bytes());
        }
        let state = Arc::new(ServerState {
            feeds: docs.into_iter().map(|d| (d.name.clone(), d)).collect(),
            validators: AtomicBool::new(true),
            requests: AtomicU64::new(0),
            not_modified: AtomicU64::new(0),
            gzipped: AtomicU64::new(0),
            conditional: AtomicU64::new(0),
            images: AtomicU64::new(0),
            image_bytes: AtomicU64::new(0),
            picture: Bytes::from(picture),
        });
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new()
            .route("/feeds/{name}", get(serve_feed))
            .route("/control/validators/{mode}", get(control_validators))
            .fallback(serve_picture)
            .with_state(state.clone());
        std::thread::Builder::new()
            .name("bench-http".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    axum::serve(listener, app).await.unwrap();
                });
            })
            .unwrap();
        let urls = names.iter().map(|n| format!("http://{addr}/feeds/{n}")).collect();
        Server { state, urls }
    }

    fn set_validators(&self, on: bool) {
        self.state.validators.store(on, Ordering::SeqCst);
    }

    fn counts(&self) -> ServerCounts {
        ServerCounts {
            requests: self.state.requests.load(Ordering::SeqCst),
            not_modified: self.state.not_modified.load(Ordering::SeqCst),
            gzipped: self.state.gzipped.load(Ordering::SeqCst),
            conditional: self.state.conditional.load(Ordering::SeqCst),
            images: self.state.images.load(Ordering::SeqCst),
            image_bytes: self.state.image_bytes.load(Ordering::SeqCst),
        }
    }
}

async fn control_validators(State(state): State<Arc<ServerState>>, UrlPath(mode): UrlPath<String>) -> &'static str {
    state.validators.store(mode == "on", Ordering::SeqCst);
    if mode == "on" { "validators on\n" } else { "validators off\n" }
}

/// Any `.jpg`/`.png`/`.webp` path is a picture (its size derived from the path); anything else is 404.
async fn serve_picture(State(state): State<Arc<ServerState>>, uri: axum::http::Uri) -> Response {
    state.requests.fetch_add(1, Ordering::Relaxed);
    let path = uri.path();
    let content_type = match path.rsplit('.').next() {
        Some("jpg") => "image/jpeg",
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        _ => return Response::builder().status(StatusCode::NOT_FOUND).body(Body::empty()).unwrap(),
    };
    let size = PICTURE_MIN + (fnv1a(path.as_bytes()) as usize) % (PICTURE_MAX - PICTURE_MIN);
    state.images.fetch_add(1, Ordering::Relaxed);
    state.image_bytes.fetch_add(size as u64, Ordering::Relaxed);
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "max-age=86400")
        .body(Body::from(state.picture.slice(..size)))
        .unwrap()
}

async fn serve_feed(State(state): State<Arc<ServerState>>, UrlPath(name): UrlPath<String>, headers: HeaderMap) -> Response {
    state.requests.fetch_add(1, Ordering::Relaxed);
    let Some(doc) = state.feeds.get(&name) else {
        return Response::builder().status(StatusCode::NOT_FOUND).body(Body::empty()).unwrap();
    };
    let validators = state.validators.load(Ordering::SeqCst);
    let header = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let if_none_match = header(header::IF_NONE_MATCH);
    let if_modified_since = header(header::IF_MODIFIED_SINCE);
    if if_none_match.is_some() || if_modified_since.is_some() {
        state.conditional.fetch_add(1, Ordering::Relaxed);
    }
    let gzip = header(header::ACCEPT_ENCODING).is_some_and(|v| v.contains("gzip"));
    if validators {
        // If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
        let unchanged = match if_none_match {
            Some(tags) => tags.split(',').map(|t| t.trim().trim_start_matches("W/")).any(|t| t == "*" || t == doc.etag || t == doc.etag_gzip),
            None => if_modified_since == Some(doc.last_modified.as_str()),
        };
        if unchanged {
            state.not_modified.fetch_add(1, Ordering::Relaxed);
            return Response::builder()
                .status(StatusCode::NOT_MODIFIED)
                .header(header::ETAG, if gzip { &doc.etag_gzip } else { &doc.etag })
                .header(header::LAST_MODIFIED, &doc.last_modified)
                .body(Body::empty())
                .unwrap();
        }
    }
    let mut response = Response::builder().status(StatusCode::OK).header(header::CONTENT_TYPE, doc.content_type).header(header::VARY, "Accept-Encoding");
    if validators {
        response = response.header(header::ETAG, if gzip { &doc.etag_gzip } else { &doc.etag }).header(header::LAST_MODIFIED, &doc.last_modified);
    }
    if gzip {
        state.gzipped.fetch_add(1, Ordering::Relaxed);
        response.header(header::CONTENT_ENCODING, "gzip").body(Body::from(doc.gzip.clone())).unwrap()
    } else {
        response.body(Body::from(doc.body.clone())).unwrap()
    }
}

// ---------------------------------------------------------------------------------------
// Child processes: wall time, peak RSS, "stored and listable"
// ---------------------------------------------------------------------------------------

struct Measured {
    wall: Duration,
    peak_rss_kib: Option<u64>,
    cpu_user_s: Option<f64>,
    cpu_sys_s: Option<f64>,
    stdout: String,
    /// When `articles` first had the expected number of rows (polled every 5 ms).
    listable: Option<Duration>,
}

const GNU_TIME: &str = "/usr/bin/time";

/// Run `program args` to completion, timing it. With `poll`, a second thread polls the
/// database read-only every 5 ms for `count(*) FROM articles >= n`.
fn run_measured(program: &Path, args: &[&str], envs: &[(&str, &Path)], poll: Option<(&Path, i64)>) -> Measured {
    let scratch = tempfile::tempdir().unwrap();
    let rss_file = scratch.path().join("rusage");
    let use_time = Path::new(GNU_TIME).exists();
    let mut cmd = if use_time {
        let mut c = Command::new(GNU_TIME);
        c.arg("-f").arg("%M %U %S").arg("-o").arg(&rss_file).arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for var in PROXY_VARS {
        cmd.env_remove(var);
    }
    for (k, v) in envs {
        cmd.env(k, v);
    }

    let done = AtomicBool::new(false);
    let hwm = AtomicU64::new(0);
    let t0 = Instant::now();
    let (output, wall, listable) = std::thread::scope(|s| {
        let poller = poll.map(|(db, rows)| {
            let done = &done;
            s.spawn(move || poll_rows(db, rows, t0, done))
        });
        let child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
        let hwm_poller = (!use_time).then(|| {
            let (pid, done, hwm) = (child.id(), &done, &hwm);
            s.spawn(move || poll_vm_hwm(pid, done, hwm))
        });
        let output = child.wait_with_output().unwrap();
        let wall = t0.elapsed();
        done.store(true, Ordering::SeqCst);
        let listable = poller.and_then(|p| p.join().unwrap()).map(|l| l.min(wall));
        if let Some(p) = hwm_poller {
            p.join().unwrap();
        }
        (output, wall, listable)
    });
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        panic!(
            "{} {:?} failed ({}):\nstdout: {}\nstderr: {}",
            program.display(),
            args,
            output.status,
            stdout.chars().take(2000).collect::<String>(),
            String::from_utf8_lossy(&output.stderr).chars().take(4000).collect::<String>()
        );
    }
    // GNU time's last line: "%M %U %S" (peak RSS in KiB, user and system CPU seconds).
    let text = if use_time { std::fs::read_to_string(&rss_file).unwrap_or_default() } else { String::new() };
    let fields: Vec<&str> = text.lines().last().unwrap_or("").split_whitespace().collect();
    let peak_rss_kib = if use_time { fields.first().and_then(|v| v.parse().ok()) } else { Some(hwm.load(Ordering::SeqCst)).filter(|&v| v > 0) };
    let cpu_user_s = fields.get(1).and_then(|v| v.parse().ok());
    let cpu_sys_s = fields.get(2).and_then(|v| v.parse().ok());
    Measured { wall, peak_rss_kib, cpu_user_s, cpu_sys_s, stdout, listable }
}

fn poll_rows(db: &Path, rows: i64, t0: Instant, done: &AtomicBool) -> Option<Duration> {
    let open = || {
        let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX).ok()?;
        conn.busy_timeout(Duration::from_millis(50)).ok()?;
        Some(conn)
    };
    let mut conn = open();
    loop {
        // Check the flag first, then look once more: a count seen after the child exited
        // is clamped to the child's wall time by the caller.
        let finished = done.load(Ordering::SeqCst);
        match conn.as_ref().map(|c| c.query_row("SELECT count(*) FROM articles", [], |r| r.get::<_, i64>(0))) {
            Some(Ok(n)) if n >= rows => return Some(t0.elapsed()),
            Some(Ok(_)) => {}
            // Before the writer has created the WAL index, a read-only connection cannot read.
            _ => conn = open(),
        }
        if finished {
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Fallback when GNU time is not installed: the child's VmHWM, polled (a lower bound).
fn poll_vm_hwm(pid: u32, done: &AtomicBool, hwm: &AtomicU64) {
    while !done.load(Ordering::SeqCst) {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status"))
            && let Some(kib) = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            hwm.fetch_max(kib, Ordering::SeqCst);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn run_quiet(program: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null());
    for var in PROXY_VARS {
        cmd.env_remove(var);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
    assert!(out.status.success(), "{} {:?} failed: {}", program.display(), args, String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

// ---------------------------------------------------------------------------------------
// caliber checks
// ---------------------------------------------------------------------------------------

struct SyncJson {
    statuses: HashMap<String, usize>,
    new: u64,
    updated: u64,
    sources: usize,
    errors: Vec<String>,
}

fn parse_sync_json(stdout: &str) -> SyncJson {
    let v: serde_json::Value = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("sync --json output is not JSON ({e}): {stdout}"));
    let sources = v["sources"].as_array().expect("sources array");
    let mut out = SyncJson { statuses: HashMap::new(), new: 0, updated: 0, sources: sources.len(), errors: Vec::new() };
    for s in sources {
        *out.statuses.entry(s["status"].as_str().unwrap_or("?").to_owned()).or_default() += 1;
        out.new += s["new"].as_u64().unwrap_or(0);
        out.updated += s["updated"].as_u64().unwrap_or(0);
        if let Some(e) = s["error"].as_str() {
            out.errors.push(format!("{}: {e}", s["url"]));
        }
    }
    out
}

fn assert_all_status(json: &SyncJson, status: &str, what: &str) {
    assert_eq!(json.sources, FEEDS, "{what}: expected {FEEDS} sources in the report");
    assert_eq!(json.statuses.get(status).copied().unwrap_or(0), FEEDS, "{what}: every source must report {status:?}; got {:?}; errors: {:?}", json.statuses, json.errors);
}

/// The stored corpus after a cold sync: count, sanitisation, absolute URLs, search.
fn verify_cold_db(db: &Path) {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let count: i64 = conn.query_row("SELECT count(*) FROM articles", [], |r| r.get(0)).unwrap();
    assert_eq!(count, SYNC_ARTICLES, "articles stored after the cold sync");
    let fts: i64 = conn.query_row("SELECT count(*) FROM articles_fts", [], |r| r.get(0)).unwrap();
    assert_eq!(fts, SYNC_ARTICLES, "rows in the full-text index after the cold sync");
    let with_html: i64 = conn.query_row("SELECT count(*) FROM articles WHERE length(content_html) > 1000", [], |r| r.get(0)).unwrap();
    assert_eq!(with_html, SYNC_ARTICLES, "every article keeps its (sanitised) body");
    // One pass over the bodies. LIKE is case-insensitive for ASCII, so JaVaScRiPt: is caught too.
    let banned = ["<script", "javascript:", "<iframe", "<style", "onclick", "onerror", "onmouseover", "<form", "<object", "style="];
    let relative = ["src=\"/", "href=\"/", "src=\"img/", "href=\"../"];
    let patterns: Vec<&str> = banned.iter().chain(relative.iter()).copied().collect();
    let sql = format!(
        "SELECT {} FROM articles",
        (1..=patterns.len()).map(|i| format!("COALESCE(sum(content_html LIKE '%' || ?{i} || '%'), 0)")).collect::<Vec<_>>().join(", ")
    );
    let counts: Vec<i64> = conn
        .query_row(&sql, rusqlite::params_from_iter(&patterns), |r| (0..patterns.len()).map(|i| r.get(i)).collect())
        .unwrap();
    for (pattern, n) in patterns.iter().zip(counts) {
        if banned.contains(pattern) {
            assert_eq!(n, 0, "{n} stored articles still contain {pattern:?} after sanitising");
        } else {
            assert_eq!(n, 0, "{n} stored articles still have a relative URL ({pattern})");
        }
    }
    let russian: i64 = conn.query_row("SELECT count(*) FROM articles WHERE language = 'ru'", [], |r| r.get(0)).unwrap();
    assert_eq!(russian, SYNC_ARTICLES / 5, "Russian articles (language from the feed)");
    drop(conn);
    let core = Core::open(CoreConfig::at(db.to_path_buf(), HttpClient::new(FetchOptions::default()).unwrap())).unwrap();
    for word in ["government", "minister economy", "правительство", "Президент"] {
        let hits = core.search(word, 20).unwrap();
        assert!(!hits.is_empty(), "search for {word:?} found nothing after the cold sync");
    }
}

// ---------------------------------------------------------------------------------------
// Statistics and the report
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
struct Stats {
    median: f64,
    min: f64,
    max: f64,
}

fn stats(values: &[f64]) -> Stats {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 };
    Stats { median, min: v[0], max: v[n - 1] }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn fmt_ms(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.1} s", v / 1000.0)
    } else if v >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.0} ms")
    } else if v >= 10.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.2} ms")
    }
}

fn fmt_pct(p: f64) -> String {
    if p >= 1.0 { format!("{p:.0}") } else { format!("{p:.3}") }
}

fn fmt_mib(kib: f64) -> String {
    format!("{:.1} MiB", kib / 1024.0)
}

struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(header: &[&str]) -> Self {
        Table { header: header.iter().map(|s| s.to_string()).collect(), rows: Vec::new() }
    }
    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
    fn text(&self) -> String {
        let widths: Vec<usize> = (0..self.header.len())
            .map(|i| self.rows.iter().map(|r| r[i].chars().count()).chain([self.header[i].chars().count()]).max().unwrap_or(0))
            .collect();
        let line = |cells: &[String]| {
            cells.iter().enumerate().map(|(i, c)| format!("{c:<w$}", w = widths[i])).collect::<Vec<_>>().join("  ").trim_end().to_owned()
        };
        let mut out = line(&self.header) + "\n";
        out += &widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  ");
        out.push('\n');
        for r in &self.rows {
            out += &line(r);
            out.push('\n');
        }
        out
    }
    fn markdown(&self) -> String {
        let mut out = format!("| {} |\n", self.header.join(" | "));
        out += &format!("|{}\n", self.header.iter().map(|_| "---|").collect::<String>());
        for r in &self.rows {
            out += &format!("| {} |\n", r.iter().map(|c| c.replace('|', "\\|")).collect::<Vec<_>>().join(" | "));
        }
        out
    }
}

fn verdict(pass: bool) -> String {
    if pass { "PASS".into() } else { "FAIL".into() }
}

fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    // target/<profile>/deps/sync-<hash>
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf))
        .filter(|p| p.join("CACHEDIR.TAG").exists())
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

fn caliber_binary() -> PathBuf {
    match option_env!("CARGO_BIN_EXE_caliber") {
        Some(path) => PathBuf::from(path),
        None => target_dir().join("release/caliber"),
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| c.lines().find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|k| k.parse::<u64>().ok()))
        .map_or(String::new(), |kib| format!(", {:.0} GiB RAM", kib as f64 / 1024.0 / 1024.0));
    format!("{cores} cores, {cpu}{mem}")
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn log(t0: Instant, msg: impl AsRef<str>) {
    eprintln!("[{:>6.1}s] {}", t0.elapsed().as_secs_f64(), msg.as_ref());
}

// ---------------------------------------------------------------------------------------
// The search corpus: 100,000 articles
// ---------------------------------------------------------------------------------------

fn build_search_db(vocab: &Vocab, path: &Path) -> usize {
    let now = chrono::Utc::now();
    let (tx, rx) = std::sync::mpsc::sync_channel::<(String, Vec<PreparedArticle>)>(4);
    std::thread::scope(|s| {
        // Generation on one core, SQLite writes on the other.
        s.spawn(move || {
            for source in 0..SEARCH_SOURCES {
                let feed = source % FEEDS + FEEDS; // same language split, other hosts than the sync corpus
                let lang = vocab.for_feed(source);
                let mut generator = ItemGen {
                    lang,
                    rng: Rng::new(SEED ^ 0x5ea7c4 ^ ((source as u64 + 1) * 0x2000_0003)),
                    feed,
                    origin: "https://static.example.com",
                    hostile_markup: false,
                    counts: HostileCounts::default(),
                };
                let articles = (0..ITEMS_PER_FEED)
                    .map(|j| {
                        let g = generator.item(j);
                        let mut hash = [0u8; 16];
                        hash[..8].copy_from_slice(&(source as u64).to_le_bytes());
                        hash[8..].copy_from_slice(&(j as u64).to_le_bytes());
                        PreparedArticle {
                            guid: format!("{}-{source}", g.guid),
                            // Unique per source: the store keeps one copy of a URL seen through two sources.
                            url: Some(format!("https://search{source}.example.com/{}/{j}.html", lang.code)),
                            title: g.title,
                            summary: Some(g.summary),
                            content_html: Some(g.html),
                            author: Some(g.author.to_owned()),
                            categories: g.categories.iter().map(|c| c.to_string()).collect(),
                            published_at: Some(datetime(g.published - (source / FEEDS) as i64 * 3600)),
                            updated_at: None,
                            image_url: None,
                            language: Some(lang.code.to_owned()),
                            views: None,
                            is_breaking: false,
                            hash,
                        }
                    })
                    .collect();
                if tx.send((format!("https://search{source}.example.com/feed.xml"), articles)).is_err() {
                    return;
                }
            }
        });
        let mut store = Store::open(path).unwrap();
        let mut written = 0;
        for (url, articles) in rx {
            let (source, _) = store.add_source(&url, Some(SourceKind::Feed), now).unwrap();
            let outcome = store.write_source(source.id, &SourceUpdate::default(), &articles, Retention::default(), now).unwrap();
            store.index_pending().unwrap();
            written += outcome.new as usize;
        }
        written
    })
}

/// Bump when the generated articles change, so a cached search database is rebuilt.
const GENERATOR_VERSION: u32 = 1;

/// A fingerprint of the schema the store creates today: the SQL of a freshly migrated
/// database. Keyed on this rather than on the schema version, a cached database is rebuilt
/// even when a migration is edited in place.
fn schema_fingerprint() -> String {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("schema.db")).unwrap();
    let sql: String = store
        .connection()
        .query_row("SELECT group_concat(COALESCE(sql, ''), ';') FROM (SELECT sql FROM sqlite_master ORDER BY type, name)", [], |r| r.get(0))
        .unwrap();
    format!("{:08x}", fnv1a(sql.as_bytes()) as u32)
}

/// The 100,000-article database: built once into target/ and reused while the schema and
/// the generator are unchanged (`CALIBER_BENCH_REBUILD=1` forces a rebuild, e.g. after a
/// change to what `write_source` writes). Returns the path and, when built by this run,
/// how long that took.
fn search_db(vocab: &Vocab) -> (PathBuf, Option<Duration>) {
    let path = target_dir().join(format!("bench-search-100k-{}-gen{GENERATOR_VERSION}.db", schema_fingerprint()));
    let rebuild = std::env::var_os("CALIBER_BENCH_REBUILD").is_some_and(|v| !v.is_empty() && v != "0");
    if !rebuild && path.exists() {
        let complete = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|c| c.query_row("SELECT (SELECT count(*) FROM articles) = ?1 AND (SELECT count(*) FROM articles_fts) = ?1", [SEARCH_ARTICLES as i64], |r| r.get::<_, bool>(0)))
            .unwrap_or(false);
        if complete {
            return (path, None);
        }
    }
    // Build next to it, then rename: an interrupted build never looks complete.
    let building = path.with_extension("building");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", building.display()));
    }
    let start = Instant::now();
    let written = build_search_db(vocab, &building);
    assert_eq!(written, SEARCH_ARTICLES, "search corpus size");
    // The store's connection is closed: the WAL is checkpointed and removed.
    let _ = std::fs::remove_file(&path);
    std::fs::rename(&building, &path).unwrap();
    (path, Some(start.elapsed()))
}

struct SearchOutcome {
    rows: Vec<Vec<String>>,
    note: String,
}

/// Time `Core::search` over the 100,000-article database; table rows and a note.
fn measure_search(vocab: &Vocab, runs: usize, t0: Instant) -> SearchOutcome {
    let (search_db, build_time) = search_db(vocab);
    let db_size = std::fs::metadata(&search_db).map(|m| m.len()).unwrap_or(0);
    let build_note = match build_time {
        Some(t) => format!("written by this run in {}", fmt_ms(ms(t))),
        None => format!("reused from an earlier run: {}", search_db.display()),
    };
    log(t0, format!("search corpus: {SEARCH_ARTICLES} articles, {:.0} MiB, {build_note}", db_size as f64 / 1048576.0));
    let classes = search_queries(vocab);
    let df_conn = Connection::open_with_flags(&search_db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let core = Core::open(CoreConfig::at(search_db.clone(), HttpClient::new(FetchOptions::default()).unwrap())).unwrap();
    let reps = (runs * 2).max(10);
    let mut class_results = Vec::new();
    // Warm-up pass: one untimed search per query (pages into the OS cache), and how many
    // documents each query matches.
    let mut doc_freq: Vec<Vec<f64>> = Vec::new();
    let mut warm_up_ms: HashMap<String, f64> = HashMap::new();
    for class in &classes {
        let mut dfs = Vec::new();
        for q in &class.queries {
            let t = Instant::now();
            let hits = core.search(q, 20).unwrap();
            warm_up_ms.insert(q.clone(), ms(t.elapsed()));
            assert!(!hits.is_empty(), "search for {q:?} over {SEARCH_ARTICLES} articles found nothing");
            let fts = fts_query(q).unwrap();
            let n: i64 = df_conn.query_row("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?1", [&fts], |r| r.get(0)).unwrap();
            dfs.push(n as f64 * 100.0 / SEARCH_ARTICLES as f64);
        }
        doc_freq.push(dfs);
    }
    // Round robin over all queries, `reps` rounds; a query that has used up its time budget
    // (after at least 2 timed runs) sits out the remaining rounds, so a pathological query
    // cannot take minutes. Its samples still count.
    const QUERY_BUDGET_MS: f64 = 500.0;
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); classes.len()];
    let mut slowest: Vec<(f64, String)> = Vec::new();
    let mut spent: HashMap<String, (usize, f64)> = HashMap::new();
    for _ in 0..reps {
        for (ci, class) in classes.iter().enumerate() {
            for q in &class.queries {
                let (n, total) = spent.get(q).copied().unwrap_or((0, 0.0));
                // At least 2 timed runs; 1 for a query whose untimed run alone took the budget.
                let min_runs = if warm_up_ms.get(q).is_some_and(|&w| w > QUERY_BUDGET_MS) { 1 } else { 2 };
                if n >= min_runs && total > QUERY_BUDGET_MS {
                    continue;
                }
                let t = Instant::now();
                let hits = core.search(q, 20).unwrap();
                let elapsed = ms(t.elapsed());
                std::hint::black_box(hits);
                samples[ci].push(elapsed);
                slowest.push((elapsed, q.clone()));
                spent.insert(q.clone(), (n + 1, total + elapsed));
            }
        }
    }
    let budget_limited: Vec<String> = {
        let mut v: Vec<(&String, &(usize, f64))> = spent.iter().filter(|(_, (n, _))| *n < reps).collect();
        v.sort_by(|a, b| b.1.1.total_cmp(&a.1.1));
        v.iter().map(|(q, (n, _))| format!("{q:?} {n}")).collect()
    };
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut per_query_max: Vec<(f64, String)> = Vec::new();
    for (t, q) in &slowest {
        if !per_query_max.iter().any(|(_, seen)| seen == q) {
            per_query_max.push((*t, q.clone()));
        }
        if per_query_max.len() == 5 {
            break;
        }
    }
    for (ci, class) in classes.iter().enumerate() {
        let mut s = samples[ci].clone();
        s.sort_by(f64::total_cmp);
        let dfs = &doc_freq[ci];
        let (df_min, df_max) = dfs.iter().fold((f64::MAX, 0.0f64), |(lo, hi), &d| (lo.min(d), hi.max(d)));
        class_results.push((class.name, class.queries.len(), s.len(), percentile(&s, 50.0), percentile(&s, 99.0), s[s.len() - 1], df_min, df_max));
    }
    let mut all: Vec<f64> = samples.iter().flatten().copied().collect();
    all.sort_by(f64::total_cmp);
    let total_queries: usize = classes.iter().map(|c| c.queries.len()).sum();
    log(t0, format!("search: {total_queries} queries, up to {reps} runs each, {} timed searches, p50 {}, p99 {}", all.len(), fmt_ms(percentile(&all, 50.0)), fmt_ms(percentile(&all, 99.0))));

    let mut rows = Vec::new();
    for &(name, nq, ns, p50, p99, max, df_min, df_max) in &class_results {
        rows.push(vec![
            format!("search p50 / p99: {name} — {nq} queries, {ns} searches, matching {}–{}% of docs", fmt_pct(df_min), fmt_pct(df_max)),
            format!("{} / {}", fmt_ms(p50), fmt_ms(p99)),
            "".into(),
            format!("{}", fmt_ms(max)),
            format!("p99 < {}", fmt_ms(TARGET_SEARCH_P99_MS)),
            verdict(p99 < TARGET_SEARCH_P99_MS),
            "—".into(),
            "—".into(),
        ]);
    }
    rows.push(vec![
        format!("search p50 / p99: all {total_queries} queries ({} searches)", all.len()),
        format!("{} / {}", fmt_ms(percentile(&all, 50.0)), fmt_ms(percentile(&all, 99.0))),
        fmt_ms(all[0]),
        fmt_ms(all[all.len() - 1]),
        format!("p99 < {}", fmt_ms(TARGET_SEARCH_P99_MS)),
        verdict(percentile(&all, 99.0) < TARGET_SEARCH_P99_MS),
        "—".into(),
        "—".into(),
    ]);

    let note = format!(
        "Search: {SEARCH_ARTICLES} articles ({SEARCH_SOURCES} sources × {ITEMS_PER_FEED}, same generator without hostile markup, stored \
         via Store::write_source; {:.0} MiB database, {build_note}). `Core::search(query, 20)`, {reps} runs of each query, round robin, \
         after one untimed run; a query sits out the remaining rounds once it has used 0.5 s (after at least 2 runs, or 1 when its untimed run took longer than that){}. \
         The percentage is the share of documents matching `fts_query(q)` (every word; the last also as a prefix when it is long enough). Slowest single searches: {}.",
        db_size as f64 / 1048576.0,
        if budget_limited.is_empty() { String::new() } else { format!("; runs of those that did: {}", budget_limited.join(", ")) },
        per_query_max.iter().map(|(t, q)| format!("{q:?} {}", fmt_ms(*t))).collect::<Vec<_>>().join(", ")
    );
    SearchOutcome { rows, note }
}

struct QueryClass {
    name: &'static str,
    queries: Vec<String>,
}

fn search_queries(vocab: &Vocab) -> Vec<QueryClass> {
    let en_rare = |k: usize| vocab.en.rare[k * 997 % EN_RARE_POOL].clone();
    let ru_rare = |k: usize| vocab.ru.rare[k * 613 % RU_RARE_POOL].clone();
    let common = ["the", "said", "government", "minister", "people", "president", "year", "officials", "country", "percent", "police", "economy", "market", "week", "company"];
    let common2 = [
        "government minister", "president said", "economy market", "police officials", "the government", "people year",
        "country percent", "company week", "said the", "minister president",
    ];
    vec![
        QueryClass { name: "1 word, common (most English docs)", queries: common.iter().map(|s| s.to_string()).collect() },
        QueryClass { name: "1 word, rare (a few docs)", queries: (1..=15).map(en_rare).collect() },
        QueryClass { name: "2 words, both common", queries: common2.iter().map(|s| s.to_string()).collect() },
        QueryClass { name: "2 words, common + rare", queries: (0..10).map(|i| format!("{} {}", common[i], en_rare(100 + i))).collect() },
        QueryClass {
            name: "Cyrillic (1-2 words, common and rare)",
            queries: vec![
                "правительство".into(), "президент".into(), "министр страны".into(), "экономика рынок".into(), "рублей".into(),
                ru_rare(1), ru_rare(2), ru_rare(3), format!("президент {}", ru_rare(4)), format!("в {}", ru_rare(5)),
            ],
        },
    ]
}

// ---------------------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------------------

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let t0 = Instant::now();
    let load_at_start = load_average();
    let runs: usize = std::env::var("CALIBER_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(5).max(1);
    // The cold sync that also downloads every picture is the slowest case; fewer runs of it
    // keep the bench within a few minutes (CALIBER_BENCH_IMAGE_RUNS overrides).
    let image_runs: usize = std::env::var("CALIBER_BENCH_IMAGE_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
    // newsboat's reload without validators is a reference only (it re-stores every item).
    let nb_unchanged_runs = 1;
    let caliber = caliber_binary();
    assert!(caliber.exists(), "caliber binary not found at {}", caliber.display());
    let newsboat = ["/usr/bin/newsboat", "/usr/local/bin/newsboat"].iter().map(PathBuf::from).find(|p| p.exists());
    log(t0, format!("caliber: {}; newsboat: {}; runs per case: {runs}", caliber.display(), newsboat.as_ref().map_or("not installed".into(), |p| p.display().to_string())));
    if !Path::new(GNU_TIME).exists() {
        log(t0, "warning: /usr/bin/time (apt package `time`) missing; peak RSS is polled from /proc (a lower bound)");
    }

    if std::env::var("CALIBER_BENCH_ONLY").is_ok_and(|v| v == "search") {
        // Search alone (for work on the index): no server, no syncs, no markdown file.
        let search = measure_search(&Vocab::new(), runs, t0);
        let mut table = Table::new(&["measurement", "median", "min", "max", "target", "result", "newsboat (median)", "caliber ÷ newsboat"]);
        for row in search.rows {
            table.row(row);
        }
        println!("\n{}\n- {}", table.text(), search.note);
        return;
    }

    // 1. Corpus (the server is bound first: absolute picture URLs point at it).
    let (listener, origin) = Server::bind();
    let vocab = Vocab::new();
    let corpus = Corpus::generate(&vocab, &origin);
    log(t0, format!(
        "corpus: {FEEDS} feeds × {ITEMS_PER_FEED} items, {:.1} MiB XML ({:.1} MiB gzip), item bodies {:.1} KiB on average",
        corpus.raw_bytes as f64 / 1048576.0, corpus.gzip_bytes as f64 / 1048576.0, corpus.html_bytes as f64 / SYNC_ARTICLES as f64 / 1024.0
    ));
    let corpus_summary = format!(
        "{FEEDS} feeds × {ITEMS_PER_FEED} items = {SYNC_ARTICLES} articles ({} RSS 2.0 + {} Atom; {} articles in Russian). \
         {:.1} MiB of XML, {:.1} MiB gzipped on the wire; bodies {:.1} KiB of HTML on average (4–8 KiB). \
         Hostile markup in {} items: {} <script>, {} javascript: URLs, {} <iframe>, {} event handlers, {} style attributes/elements.",
        FEEDS / 2, FEEDS / 2, corpus.russian_items,
        corpus.raw_bytes as f64 / 1048576.0, corpus.gzip_bytes as f64 / 1048576.0, corpus.html_bytes as f64 / SYNC_ARTICLES as f64 / 1024.0,
        corpus.hostile.items_with_any, corpus.hostile.script, corpus.hostile.javascript, corpus.hostile.iframe, corpus.hostile.event_handlers, corpus.hostile.style
    );

    // 2. Server.
    let server = Server::start(listener, corpus.docs);
    let urls = server.urls.clone();
    if std::env::var_os("CALIBER_BENCH_SERVE").is_some() {
        // For profiling by hand: serve the corpus until killed.
        // GET /control/validators/off (or /on) switches the ETag mode.
        for url in &urls {
            println!("{url}");
        }
        log(t0, format!("serving on {origin} until killed (CALIBER_BENCH_SERVE)"));
        loop {
            std::thread::park();
        }
    }

    // 3a/b and 3e (cold). Cold syncs into an empty database, feeds only (`--no-images`:
    // newsboat downloads no pictures either), interleaved with newsboat's cold reloads so
    // that both see the same machine; then the default sync, which also stores pictures.
    let mut cold = Vec::new();
    let mut nb_cold = Vec::new();
    let mut nb_items = 0i64;
    let mut nb_dir = None;
    for _ in 0..runs {
        let (m, _dir, _) = cold_sync(&caliber, &server, &urls, false);
        log_cold(t0, "caliber cold sync --no-images", &m);
        cold.push(m);
        if let Some(newsboat) = &newsboat {
            let (m, dir, items) = newsboat_cold(newsboat, &urls);
            log_cold(t0, "newsboat cold reload", &m);
            nb_items = items;
            nb_cold.push(m);
            nb_dir = Some(dir);
        }
    }
    let mut cold_images = Vec::new();
    let mut image_counts = ServerCounts::default();
    let mut stored_images = (0i64, 0i64);
    let mut keep_dir = None;
    for _ in 0..image_runs {
        let (m, dir, served) = cold_sync(&caliber, &server, &urls, true);
        log_cold(t0, &format!("caliber cold sync with pictures ({} pictures, {:.0} MiB served)", served.images, served.image_bytes as f64 / 1048576.0), &m);
        let conn = Connection::open_with_flags(dir.path().join("caliber.db"), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        stored_images = conn.query_row("SELECT count(*), COALESCE(sum(size), 0) FROM images", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        assert!(stored_images.0 > 0, "the default sync stored no pictures");
        image_counts = served;
        cold_images.push(m);
        keep_dir = Some(dir);
    }
    let cold_dir = keep_dir.unwrap();
    let cold_db = cold_dir.path().join("caliber.db");
    let cold_db_arg = cold_db.to_str().unwrap();

    // 3c. Unchanged re-sync (the default command, on the database of a default cold sync):
    // same bodies, 200, no validators: download, parse, nothing to write. One untimed warm-up.
    server.set_validators(false);
    let mut unchanged = Vec::new();
    for run in 0..=runs {
        let m = run_measured(&caliber, &["--db", cold_db_arg, "sync", "--json"], &[], None);
        let json = parse_sync_json(&m.stdout);
        assert_all_status(&json, "ok", "unchanged re-sync");
        assert_eq!((json.new, json.updated), (0, 0), "unchanged re-sync must find 0 new / 0 updated");
        if run > 0 {
            unchanged.push(m);
        }
    }
    log(t0, format!("caliber unchanged re-sync: median {}", fmt_ms(stats(&unchanged.iter().map(|m| ms(m.wall)).collect::<Vec<_>>()).median)));

    // 3d. All-304 re-sync: one sync to store the validators, then every source answers 304.
    server.set_validators(true);
    let m = run_measured(&caliber, &["--db", cold_db_arg, "sync", "--json"], &[], None);
    let json = parse_sync_json(&m.stdout);
    assert_all_status(&json, "ok", "re-sync that stores validators");
    assert_eq!((json.new, json.updated), (0, 0), "re-sync that stores validators must find nothing new");
    let mut all304 = Vec::new();
    let mut all304_no_images = Vec::new();
    for run in 0..=runs {
        for (images, into) in [(true, &mut all304), (false, &mut all304_no_images)] {
            let before = server.counts();
            let mut args = vec!["--db", cold_db_arg, "sync", "--json"];
            if !images {
                args.push("--no-images");
            }
            let m = run_measured(&caliber, &args, &[], None);
            let served = server.counts() - before;
            let json = parse_sync_json(&m.stdout);
            assert_all_status(&json, "not_modified", "all-304 re-sync");
            assert_eq!(served.not_modified, FEEDS as u64, "all-304 re-sync: the server must have answered 304 to every feed");
            assert_eq!(served.requests, FEEDS as u64, "all-304 re-sync: one request per feed, nothing else");
            if run > 0 {
                into.push(m);
            }
        }
    }
    log(t0, format!(
        "caliber all-304 re-sync: median {} ({} with --no-images)",
        fmt_ms(stats(&all304.iter().map(|m| ms(m.wall)).collect::<Vec<_>>()).median),
        fmt_ms(stats(&all304_no_images.iter().map(|m| ms(m.wall)).collect::<Vec<_>>()).median)
    ));
    drop(cold_dir);

    // 3e (warm). newsboat on the cache of its last cold reload: an unchanged reload (no
    // validators), then warm reloads with validators. newsboat 2.21 sends If-None-Match only
    // from its third reload, so two warm-up reloads come first.
    let mut nb_warm = Vec::new();
    let mut nb_unchanged = Vec::new();
    let mut nb_warm_304 = 0u64;
    let mut nb_warm_requests = 0u64;
    if let (Some(newsboat), Some(dir)) = (&newsboat, &nb_dir) {
        let args = nb_args(dir.path());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let envs = nb_envs(dir.path());
        server.set_validators(false);
        for _ in 0..nb_unchanged_runs {
            nb_unchanged.push(run_measured(newsboat, &args, &envs, None));
        }
        server.set_validators(true);
        for _ in 0..2 {
            run_measured(newsboat, &args, &envs, None);
        }
        let before = server.counts();
        for _ in 0..runs {
            nb_warm.push(run_measured(newsboat, &args, &envs, None));
        }
        let served = server.counts() - before;
        nb_warm_304 = served.not_modified;
        nb_warm_requests = served.requests;
        log(t0, format!(
            "newsboat unchanged reload: median {}; warm reload: median {} ({} of {} requests answered 304)",
            fmt_ms(stats(&nb_unchanged.iter().map(|m| ms(m.wall)).collect::<Vec<_>>()).median),
            fmt_ms(stats(&nb_warm.iter().map(|m| ms(m.wall)).collect::<Vec<_>>()).median),
            nb_warm_304,
            nb_warm_requests
        ));
    }
    drop(nb_dir);

    // 3f. Search over 100,000 articles.
    let search = measure_search(&vocab, runs, t0);

    // 4. Report.
    let wall = |v: &[Measured]| stats(&v.iter().map(|m| ms(m.wall)).collect::<Vec<_>>());
    let listable = |v: &[Measured]| stats(&v.iter().map(|m| ms(m.listable.unwrap_or(m.wall))).collect::<Vec<_>>());
    let rss = |v: &[Measured]| {
        let kib: Vec<f64> = v.iter().filter_map(|m| m.peak_rss_kib.map(|k| k as f64)).collect();
        (!kib.is_empty()).then(|| stats(&kib))
    };
    let cpu = |v: &[Measured]| stats(&v.iter().map(|m| m.cpu_user_s.unwrap_or(0.0) + m.cpu_sys_s.unwrap_or(0.0)).collect::<Vec<_>>());
    let unchanged_s = wall(&unchanged);
    let s304 = wall(&all304);
    let nb = (!nb_cold.is_empty()).then(|| (wall(&nb_cold), wall(&nb_warm), wall(&nb_unchanged), rss(&nb_cold), cpu(&nb_cold)));
    let ratio = |ours: f64, theirs: Option<f64>| theirs.map_or("—".into(), |t| format!("{:.2}×", ours / t));

    let mut table = Table::new(&["measurement", "median", "min", "max", "target", "result", "newsboat (median)", "caliber ÷ newsboat"]);
    let timed_row = |name: &str, s: Stats, target: String, pass: Option<bool>, nb_median: Option<f64>| {
        vec![
            name.to_owned(),
            fmt_ms(s.median),
            fmt_ms(s.min),
            fmt_ms(s.max),
            target,
            pass.map_or("—".into(), verdict),
            nb_median.map_or("—".into(), fmt_ms),
            ratio(s.median, nb_median),
        ]
    };
    let nb_cold_median = nb.as_ref().map(|n| n.0.median);
    let nb_rss = nb.as_ref().and_then(|n| n.3).map(|s| s.median);
    for (label, measured, like_newsboat) in
        [("cold sync --no-images", &cold, true), ("cold sync, default (+ pictures)", &cold_images, false)]
    {
        let total = wall(measured);
        let listed = listable(measured);
        // newsboat downloads no pictures: only the sync without them is held to its time.
        let (target, pass) = if like_newsboat {
            (
                nb_cold_median.map_or("< newsboat cold".into(), |n| format!("< newsboat cold ({})", fmt_ms(n))),
                nb_cold_median.map(|n| total.median < n),
            )
        } else {
            ("(info: also fetches pictures)".into(), None)
        };
        table.row(timed_row(
            &format!("{label}: 10,000 articles fetched, sanitised, stored, indexed ({} runs)", measured.len()),
            total,
            target,
            pass,
            nb_cold_median,
        ));
        table.row(timed_row(
            &format!("{label}: stored and listable (10,000 rows visible)"),
            listed,
            nb_cold_median.map_or("< ½ newsboat cold".into(), |n| format!("< ½ newsboat cold ({})", fmt_ms(n / 2.0))),
            nb_cold_median.map(|n| listed.median < n / 2.0),
            nb_cold_median,
        ));
        table.row(match rss(measured) {
            Some(r) => vec![
                format!("{label}: peak RSS"),
                fmt_mib(r.median),
                fmt_mib(r.min),
                fmt_mib(r.max),
                format!("< {TARGET_RSS_MIB:.0} MiB"),
                verdict(r.median / 1024.0 < TARGET_RSS_MIB),
                nb_rss.map_or("—".into(), fmt_mib),
                ratio(r.median, nb_rss),
            ],
            None => vec![format!("{label}: peak RSS"), "?".into(), "?".into(), "?".into(), format!("< {TARGET_RSS_MIB:.0} MiB"), "not measured".into(), "—".into(), "—".into()],
        });
        let c = cpu(measured);
        table.row(vec![
            format!("{label}: CPU time (user+sys)"),
            format!("{:.2} s", c.median),
            format!("{:.2} s", c.min),
            format!("{:.2} s", c.max),
            "(info)".into(),
            "—".into(),
            nb.as_ref().map_or("—".into(), |n| format!("{:.2} s", n.4.median)),
            nb.as_ref().map_or("—".into(), |n| format!("{:.2}×", c.median / n.4.median)),
        ]);
    }
    table.row(timed_row(
        "unchanged re-sync (200, no validators, 0 new/0 updated)",
        unchanged_s,
        format!("< {}", fmt_ms(TARGET_UNCHANGED_MS)),
        Some(unchanged_s.median < TARGET_UNCHANGED_MS),
        nb.as_ref().map(|n| n.2.median),
    ));
    table.row(timed_row(
        "all-304 re-sync, default (50 × not_modified)",
        s304,
        format!("< {}", fmt_ms(TARGET_304_MS)),
        Some(s304.median < TARGET_304_MS),
        nb.as_ref().map(|n| n.1.median),
    ));
    let s304_no_images = wall(&all304_no_images);
    table.row(timed_row(
        "all-304 re-sync --no-images (50 × not_modified)",
        s304_no_images,
        format!("< {}", fmt_ms(TARGET_304_MS)),
        Some(s304_no_images.median < TARGET_304_MS),
        nb.as_ref().map(|n| n.1.median),
    ));
    for row in search.rows {
        table.row(row);
    }

    let mut notes = Vec::new();
    notes.push(format!(
        "Machine: {}. Runs: {runs} per case (cold syncs interleaved with newsboat's cold reloads; re-syncs after one untimed warm-up), \
         {image_runs} for the cold sync with pictures, {nb_unchanged_runs} for newsboat's unchanged reload; median, min and max of those runs. \
         Load average (1, 5, 15 min) at the start: {load_at_start}; at the end: {} (other work on the machine skews the numbers).",
        machine(),
        load_average()
    ));
    notes.push(format!("Corpus: {corpus_summary}"));
    notes.push(format!(
        "Pictures: every item has 1–3 (relative, protocol-relative and absolute URLs, all on the bench server, 8–40 KiB each). \
         The default `caliber sync` downloaded {} pictures ({:.0} MiB) per cold run and kept {} ({:.0} MiB) after its size cap. \
         The unchanged and all-304 re-syncs run the default command on the database of a default cold sync.",
        image_counts.images,
        image_counts.image_bytes as f64 / 1048576.0,
        stored_images.0,
        stored_images.1 as f64 / 1048576.0,
    ));
    if let Some(n) = &nb {
        notes.push(format!(
            "{}: `newsboat -x reload` with `reload-threads 8`, fresh cache per cold run ({} items stored); its column for the all-304 \
             rows is a reload on a warm cache after 2 warm-up reloads ({} of {} requests answered 304); for the unchanged re-sync, a reload \
             with validators off ({}). newsboat stores the raw HTML: it neither sanitises nor builds a full-text index, and downloads no pictures.",
            newsboat_version(newsboat.as_deref()),
            nb_items,
            nb_warm_304,
            nb_warm_requests,
            fmt_ms(n.2.median),
        ));
    } else {
        notes.push("newsboat is not installed: the comparisons are not measured (`apt-get install newsboat`).".into());
    }
    notes.push(search.note);
    notes.push(format!("Total bench time: {}.", fmt_ms(ms(t0.elapsed()))));

    println!("\ncaliber sync benchmark\n");
    println!("{}", table.text());
    for n in &notes {
        println!("- {n}");
    }
    let md = format!(
        "# caliber sync benchmark\n\n{}\n{}\n",
        table.markdown(),
        notes.iter().map(|n| format!("- {n}\n")).collect::<String>()
    );
    let out = target_dir().join("bench-sync.md");
    match std::fs::write(&out, md) {
        Ok(()) => println!("\nwritten to {}", out.display()),
        Err(e) => eprintln!("could not write {}: {e}", out.display()),
    }
}

/// Fresh database, add the 50 sources (untimed), time `caliber sync --json` (with or without
/// pictures) while polling for 10,000 rows, then check the result (untimed).
fn cold_sync(caliber: &Path, server: &Server, urls: &[String], images: bool) -> (Measured, tempfile::TempDir, ServerCounts) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("caliber.db");
    let db_arg = db.to_str().unwrap();
    let mut add = vec!["--db", db_arg, "sources", "add"];
    add.extend(urls.iter().map(String::as_str));
    run_quiet(caliber, &add);
    let mut sync = vec!["--db", db_arg, "sync", "--json"];
    if !images {
        sync.push("--no-images");
    }
    let before = server.counts();
    let m = run_measured(caliber, &sync, &[], Some((&db, SYNC_ARTICLES)));
    let served = server.counts() - before;
    let json = parse_sync_json(&m.stdout);
    assert_all_status(&json, "ok", "cold sync");
    assert_eq!(json.new, SYNC_ARTICLES as u64, "cold sync: new articles reported");
    assert_eq!(served.gzipped, FEEDS as u64, "cold sync: every feed should be fetched with gzip");
    if !images {
        assert_eq!(served.requests, FEEDS as u64, "cold sync --no-images: one request per feed, nothing else");
    }
    verify_cold_db(&db);
    (m, dir, served)
}

fn log_cold(t0: Instant, what: &str, m: &Measured) {
    log(t0, format!(
        "{what}: {}{}, peak RSS {}, cpu {:.2}+{:.2} s",
        fmt_ms(ms(m.wall)),
        m.listable.map_or(String::new(), |l| format!(" (listable at {})", fmt_ms(ms(l)))),
        m.peak_rss_kib.map_or("?".into(), |k| fmt_mib(k as f64)),
        m.cpu_user_s.unwrap_or(f64::NAN),
        m.cpu_sys_s.unwrap_or(f64::NAN),
    ));
}

/// `newsboat -x reload` on the urls file, cache and config in `dir`.
fn nb_args(dir: &Path) -> Vec<String> {
    let path = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    vec!["-x".into(), "reload".into(), "-u".into(), path("urls"), "-c".into(), path("cache.db"), "-C".into(), path("config")]
}

/// newsboat's home is the run's own directory (nothing is read from or written to ~).
fn nb_envs(dir: &Path) -> [(&'static str, &Path); 3] {
    [("HOME", dir), ("XDG_CONFIG_HOME", dir), ("XDG_DATA_HOME", dir)]
}

/// A fresh directory with the urls file, a config (`reload-threads 8`) and no cache; one timed reload.
fn newsboat_cold(newsboat: &Path, urls: &[String]) -> (Measured, tempfile::TempDir, i64) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("urls"), urls.join("\n") + "\n").unwrap();
    std::fs::write(dir.path().join("config"), "# caliber bench: every feed is on 127.0.0.1\nreload-threads 8\n").unwrap();
    let args = nb_args(dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let m = run_measured(newsboat, &args, &nb_envs(dir.path()), None);
    let conn = Connection::open_with_flags(dir.path().join("cache.db"), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let items: i64 = conn.query_row("SELECT count(*) FROM rss_item", [], |r| r.get(0)).unwrap();
    assert_eq!(items, SYNC_ARTICLES, "newsboat stored a different number of items; the comparison would not be fair");
    (m, dir, items)
}

fn newsboat_version(newsboat: Option<&Path>) -> String {
    newsboat
        .and_then(|p| Command::new(p).arg("-v").output().ok())
        .map(|o| String::from_utf8_lossy(&o.stdout).lines().next().unwrap_or("").split(" - ").next().unwrap_or("").trim().to_owned())
        .unwrap_or_default()
}
