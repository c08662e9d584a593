// The benchmark corpus: a deterministic news corpus (xorshift generator, Zipf-weighted
// vocabulary, 4–8 KiB HTML bodies with pictures and hostile markup) as RSS and Atom
// documents. Shared by `benches/sync/` and the crash harness (`tests/crash.rs`), which
// `include!` it; the includer brings `std::fmt::Write as _`, `std::io::Write as _`,
// `std::time::Duration` and `axum::body::Bytes` into scope.

const SEED: u64 = 0x00ca_11be_5eed_2026;
const FEEDS: usize = 50;
const ITEMS_PER_FEED: usize = 200;
/// 2026-01-01T00:00:00Z: items are dated back from here (fixed, so bodies and ETags are stable).
const BASE_TIME: i64 = 1_767_225_600;

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

/// Pictures are 8–40 KiB, each a prefix of one buffer.
const PICTURE_MIN: usize = 8 * 1024;
const PICTURE_MAX: usize = 40 * 1024;

/// The buffer every served picture is a prefix of: a JPEG header, then seeded noise.
fn picture_bytes() -> Vec<u8> {
    let mut picture = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00];
    let mut rng = Rng::new(SEED ^ 0x1a6e);
    while picture.len() < PICTURE_MAX {
        picture.extend_from_slice(&rng.next().to_le_bytes());
    }
    picture
}

/// What a corpus server answers for `path`: any `.jpg`/`.png`/`.webp` path is a picture of
/// that type and a size derived from the path (the same on every request); else none.
fn picture_for_path(path: &str) -> Option<(&'static str, usize)> {
    let content_type = match path.rsplit('.').next() {
        Some("jpg") => "image/jpeg",
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        _ => return None,
    };
    Some((content_type, PICTURE_MIN + (fnv1a(path.as_bytes()) as usize) % (PICTURE_MAX - PICTURE_MIN)))
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
