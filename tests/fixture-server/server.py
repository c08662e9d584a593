#!/usr/bin/env python3
"""A deterministic Caliber.az look-alike on 127.0.0.1, for end-to-end tests and demos.

    python3 tests/fixture-server/server.py [--port 8765] [--control-port 8766]   (0: any free port, printed)

Serves RU (/), EN (/en/), AZ (/az/) and Armenian (/arm/) listings built like the real site
(.float_block cards), article pages (.post_title, .post_body, .post_hits …; each body also
holds the site's zoom icon /templates/Default/api/zoom.png and repeats its picture, as real
pages do), pictures (/uploads/*.png) and the RU feed (/rss.xml). The control port switches what is published:

    curl -X POST 127.0.0.1:8766/mode/normal     # the base set of articles
    curl -X POST 127.0.0.1:8766/mode/new        # + two new ordinary articles (RU, EN)
    curl -X POST 127.0.0.1:8766/mode/breaking   # + one breaking and one ordinary article (RU)
    curl -X POST 127.0.0.1:8766/mode/more-breaking  # those + a second breaking article (RU)
    curl -X POST 127.0.0.1:8766/mode/down       # the site port stops accepting connections
    curl 127.0.0.1:8766/hits                    # JSON: requests per path
    curl 127.0.0.1:8766/log                     # JSON: every request (path with query, User-Agent)

The hostile feed (/hostile/rss.xml, pages /hostile/post/<slug>, pictures /hostile/pic/*) carries
the script-injection corpus of hostile/corpus.json (see tests/e2e/hostile.test.js); a request
for /leak means a payload got to run or to load something.

Article times are minutes before the server started (in Baku time, UTC+4), so they are
always recent. Everything is stdlib; nothing leaves 127.0.0.1.
"""
import argparse, datetime, html, json, os, struct, sys, threading, urllib.parse, zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BAKU = datetime.timezone(datetime.timedelta(hours=4))
STARTED = datetime.datetime.now(BAKU).replace(second=0, microsecond=0)
MONTHS = {
    'ru': ['Января', 'Февраля', 'Марта', 'Апреля', 'Мая', 'Июня', 'Июля', 'Августа', 'Сентября', 'Октября', 'Ноября', 'Декабря'],
    'en': ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
    'az': ['Yanvar', 'Fevral', 'Mart', 'Aprel', 'May', 'İyun', 'İyul', 'Avqust', 'Sentyabr', 'Oktyabr', 'Noyabr', 'Dekabr'],
    'hy': ['Հունվարի', 'Փետրվարի', 'Մարտի', 'Ապրիլի', 'Մայիսի', 'Հունիսի', 'Հուլիսի', 'Օգոստոսի', 'Սեպտեմբերի', 'Հոկտեմբերի', 'Նոյեմբերի', 'Դեկտեմբերի'],
}
VIEWS = {'ru': 'Просмотров', 'en': 'Views', 'az': 'Baxış', 'hy': 'Դիտումներ'}
# The Armenian edition's language is hy; the site's path and switch say "arm".
PREFIX = {'ru': '', 'en': '/en', 'az': '/az', 'hy': '/arm'}

# (edition, slug, section, title, minutes ago, picture, paragraphs)
BASE = [
    ('ru', 'baku-forum', 'МИР', 'В Баку открылся международный форум аналитиков', 50, 1,
     ['Международный форум аналитических центров открылся в Баку в среду.',
      'Участники обсуждают безопасность и доверие в Азии.',
      'Форум продлится три дня; ожидаются гости из сорока стран.']),
    ('ru', 'neft-ceny', 'ЭКОНОМИКА', 'Цены на нефть выросли на мировых рынках', 120, 2,
     ['Цены на нефть марки Brent выросли на бирже в Лондоне.',
      'Азербайджанская нефть Azeri Light подорожала вслед за Brent.',
      'Аналитики связывают рост с сокращением добычи.']),
    ('ru', 'gyandzha-park', 'ОБЩЕСТВО', 'В Гяндже открыли новый парк', 200, 3,
     ['В Гяндже открыли новый парк площадью десять гектаров.',
      'В парке высажено более тысячи деревьев и проложены велодорожки.']),
    ('ru', 'kaspiy-ekologiya', 'АНАЛИТИКА', 'Каспий: экология и судоходство', 300, 4,
     ['Экологи обсуждают состояние Каспийского моря.',
      'Судоходство по Каспию растёт, вместе с ним растут и риски.']),
    ('en', 'cica-baku', 'ANALYTICS', 'CICA and security: Baku as a platform of global trust', 60, 5,
     ['Another significant international event is taking place in Baku.',
      'Notably, Azerbaijan currently holds the chairmanship of CICA.',
      'A crucial detail is that this forum is being held outside China for the first time.']),
    ('en', 'caspian-energy', 'ECONOMY', 'Caspian energy corridor expands', 180, 6,
     ['The Caspian energy corridor is expanding to new markets.',
      'New pipelines are planned for the next decade.']),
    ('en', 'ganja-park', 'SOCIETY', 'A new park opens in Ganja', 240, 3,
     ['A new ten-hectare park has opened in Ganja.', 'More than a thousand trees were planted.']),
    ('az', 'baki-forum', 'DÜNYA', 'Bakıda beynəlxalq forum açıldı', 55, 1,
     ['Bakıda analitik mərkəzlərin beynəlxalq forumu açıldı.', 'İştirakçılar Asiyada təhlükəsizliyi müzakirə edirlər.']),
    ('az', 'neft-qiymet', 'İQTİSADİYYAT', 'Neft qiymətləri artdı', 130, 2,
     ['Brent markalı neftin qiyməti birjada artdı.', 'Azeri Light nefti də bahalaşdı.']),
    # Armenian: translations of stories above (same cover picture, minutes apart).
    ('hy', 'baqvum-forum', 'ԱՇԽԱՐՀ', 'Բաքվում բացվել է վերլուծաբանների միջազգային ֆորում', 52, 1,
     ['Վերլուծական կենտրոնների միջազգային ֆորումը չորեքշաբթի բացվել է Ադրբեջանի մայրաքաղաքում։',
      'Մասնակիցները Բաքու են ժամանել քառասուն երկրներից և քննարկում են Ասիայում անվտանգությունն ու վստահությունը։',
      'Ֆորումը կտևի երեք օր։']),
    ('hy', 'cica-baqu', 'ՎԵՐԼՈՒԾՈՒԹՅՈՒՆ', 'ԱՓՎՄԽ-ն և անվտանգությունը. Բաքուն՝ գլոբալ վստահության հարթակ', 62, 5,
     ['Բաքվում ընթանում է ևս մեկ նշանակալի միջազգային միջոցառում։',
      'Ադրբեջանն այժմ նախագահում է ԱՓՎՄԽ-ում։',
      'Առաջին անգամ այս ֆորումն անցկացվում է Չինաստանից դուրս։']),
    ('hy', 'navti-gner', 'ՏՆՏԵՍՈՒԹՅՈՒՆ', 'Նավթի գներն աճել են համաշխարհային շուկաներում', 125, 2,
     ['Brent տեսակի նավթի գինը Լոնդոնի բորսայում աճել է։',
      'Ադրբեջանական Azeri Light նավթը թանկացել է Brent-ի հետևից։']),
]
NEW = [
    ('ru', 'novyi-most', 'ОБЩЕСТВО', 'В Баку построят новый мост через реку', 5, 4,
     ['Строительство нового моста начнётся весной.', 'Мост соединит два района города.']),
    ('en', 'new-bridge', 'SOCIETY', 'Baku to build a new bridge', 6, 4,
     ['Construction of the new bridge starts in spring.', 'It will link two districts of the city.']),
]
BREAKING = [
    ('ru', 'srochno-zemletryasenie', 'СРОЧНО', 'Срочно: землетрясение магнитудой 5 в Каспийском море', 2, 6,
     ['Землетрясение магнитудой 5 произошло в Каспийском море.', 'Разрушений нет, сообщают спасатели.']),
    ('ru', 'vystavka-kovrov', 'КУЛЬТУРА', 'В Баку открылась выставка ковров', 3, 5,
     ['Выставка азербайджанских ковров открылась в музее.', 'Она продлится до конца месяца.']),
]
# With "more-breaking": a second breaking story after the first (its own picture).
MORE_BREAKING = [
    ('ru', 'srochno-liven', 'СРОЧНО', 'Срочно: в Баку прошёл сильный ливень', 1, 7,
     ['Сильный ливень прошёл в Баку.', 'Движение на нескольких улицах затруднено.']),
]

# A link inside an article body (the end-to-end suite clicks it): (edition, slug) → (href, text).
BODY_LINKS = {
    ('ru', 'gyandzha-park'): ('https://www.example.org/ganja/park?from=caliber&lang=ru', 'План парка'),
}

STATE = {'mode': 'normal', 'hits': {}, 'log': []}
LOCK = threading.Lock()


def png(w, h, rgb):
    raw = b''.join(b'\x00' + bytes(rgb) * w for _ in range(h))
    def chunk(t, d):
        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')

PICTURES = {f'pic{i}.png': png(320, 180, c) for i, c in enumerate(
    [(192, 57, 43), (39, 174, 96), (41, 128, 185), (142, 68, 173), (243, 156, 18), (22, 160, 133), (52, 73, 94)], start=1)}
# The site's own interface picture (a zoom icon) that real article bodies carry.
ZOOM_ICON = '/templates/Default/api/zoom.png'
ZOOM_PNG = png(24, 24, (90, 90, 90))


def articles():
    with LOCK:
        mode = STATE['mode']
    items = list(BASE)
    if mode == 'new':
        items += NEW
    if mode in ('breaking', 'more-breaking'):
        items += BREAKING
    if mode == 'more-breaking':
        items += MORE_BREAKING
    return sorted(items, key=lambda a: a[4])


def when(minutes_ago):
    return STARTED - datetime.timedelta(minutes=minutes_ago)


def site_time(lang, minutes_ago):
    t = when(minutes_ago)
    return f'{t.day} {MONTHS[lang][t.month - 1]} {t.year} {t:%H:%M}'


def page(lang, title, body):
    return f'''<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)} | Caliber.az</title>
<link rel="alternate" type="application/rss+xml" href="/rss.xml"><script>window.dataLayer = [];</script></head>
<body><header class="header"><a class="logo" href="{PREFIX[lang]}/">Caliber.az</a> <span class="night_theme">night_theme</span>
<a href="/">ru</a> <a href="/en/">en</a> <a href="/az/">az</a> <a href="/arm/">arm</a></header>
<div class="banner_top"><a href="https://ads.example/">Реклама / Advertisement</a></div>
{body}
<footer>Any use of materials is allowed only if there is a hyperlink to Caliber.az. Caliber.az © 2026.</footer></body></html>'''


def listing(lang):
    cards = ''.join(f'''<div class="float_block"><a href="{PREFIX[lang]}/post/{slug}">
<div class="float_block_image" style="background-image: url('/uploads/pic{pic}.png')"></div>
<div class="float_block_category">{html.escape(section)}</div>
<div class="float_block_title">{html.escape(title)}</div>
<div class="float_block_time">{site_time(lang, ago)}</div></a></div>
''' for (ed, slug, section, title, ago, pic, _) in articles() if ed == lang)
    return page(lang, 'Caliber.az', f'<main class="news_list">{cards}</main>')


def article_page(lang, slug):
    for (ed, s, section, title, ago, pic, paras) in articles():
        if ed == lang and s == slug:
            ps = [f'<p>{html.escape(p)}</p>' for p in paras]
            ps.insert(1, '<div class="banner_inline"><a href="https://ads.example/buy">КУПИТЬ — реклама</a><script>trackAd()</script></div>')
            picture = f'/uploads/pic{(pic % 6) + 1}.png'
            ps.append(f'<p><img src="{picture}" alt=""></p>')
            # As on the real site: the zoom icon inside the body, and the picture again.
            ps.append(f'<div class="zoom_wrap"><a href="{picture}"><img src="{ZOOM_ICON}" alt=""></a></div>')
            ps.append(f'<p><img src="{picture}" alt=""></p>')
            if (lang, slug) in BODY_LINKS:
                href, text = BODY_LINKS[(lang, slug)]
                ps.append(f'<p>Подробнее: <a href="{html.escape(href)}">{html.escape(text)}</a>.</p>')
            body = f'''<main><article class="post">
<div class="post_categoty">{html.escape(section)}</div>
<h1 class="post_title">{html.escape(title)}</h1>
<div class="post_time">{site_time(lang, ago)}</div>
<div class="post_cover" style="background-image: url(/uploads/pic{pic}.png)"></div>
<div class="post_share"><button>A+</button><button>A-</button></div>
<div class="post_body">{''.join(ps)}<div class="post_signature">Caliber.Az</div>
<div class="post_hits">{VIEWS[lang]}: {100 + 7 * ago}</div></div></article></main>'''
            return page(lang, title, body)
    return None


def rss(host):
    items = ''.join(f'''<item><title>{html.escape(title)}</title><link>http://{host}/post/{slug}</link>
<guid>http://{host}/post/{slug}</guid><category>{html.escape(section)}</category>
<pubDate>{when(ago).astimezone(datetime.timezone.utc):%a, %d %b %Y %H:%M:%S} GMT</pubDate>
<description>{html.escape(paras[0])}</description></item>
''' for (ed, slug, section, title, ago, pic, paras) in articles() if ed == 'ru')
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Caliber.az</title><link>http://{host}/</link><language>ru</language>
{items}</channel></rss>'''


# ---- The hostile feed: every payload of hostile/corpus.json in a title, summary, body,
# article page or picture URL. The layout is fixed, so a run is repeatable.
CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'hostile', 'corpus.json')
BODY_ARTICLES = 16
PAGE_ARTICLES = 2
_corpus = None


def corpus():
    global _corpus
    if _corpus is None:
        with open(CORPUS, encoding='utf-8') as f:
            _corpus = json.load(f)['payloads']
    return _corpus


def fill(value, name, host):
    """The payload with its placeholders filled in for this server."""
    origin = f'http://{host}'
    leak = f'{origin}/leak?name={urllib.parse.quote(name, safe="")}'
    js = f"window.__pwned=1;fetch('{leak}')"
    return (value.replace('{JS}', js).replace('{LEAK}', leak)
            .replace('{HOSTENC}', urllib.parse.quote(origin, safe='')).replace('{HOST}', origin))


def chunks(payloads, n):
    """`payloads` over `n` articles in order; one that can swallow what follows goes last in its article."""
    plain = [p for p in payloads if not p.get('swallows_rest')]
    last = [p for p in payloads if p.get('swallows_rest')]
    out = [plain[i * len(plain) // n:(i + 1) * len(plain) // n] for i in range(n)]
    for i, p in enumerate(last):
        out[i % n].append(p)
    return out


def hostile_articles():
    """[{slug, title, summary, body, page, picture}]: payloads (unfilled) per article."""
    by_field = {f: [p for p in corpus() if p['field'] == f] for f in ('title', 'summary', 'body', 'page', 'picture', 'link')}
    arts = []
    for i, group in enumerate(chunks(by_field['body'], BODY_ARTICLES)):
        arts.append({'slug': f'hostile-{i + 1:02d}', 'body': group, 'page': []})
    for i, group in enumerate(chunks(by_field['page'], PAGE_ARTICLES)):
        arts.append({'slug': f'hostile-page-{i + 1}', 'body': [], 'page': group})
    for i, a in enumerate(arts):
        a['title'] = by_field['title'][i] if i < len(by_field['title']) else None
        a['summary'] = by_field['summary'][i - 1] if 1 <= i <= len(by_field['summary']) and a['body'] else None
        a['picture'] = by_field['picture'][i - 2] if 2 <= i < 2 + len(by_field['picture']) else None
        a['link'] = by_field['link'][i - 12] if 12 <= i < 12 + len(by_field['link']) and a['body'] else None
    return arts


def payload_html(payloads, host):
    return ''.join(f'<p>Payload {html.escape(p["name"])}:</p>{fill(p["value"], p["name"], host)}' for p in payloads)


def hostile_title(a, i, host):
    plain = f'Hostile {i + 1:02d} pwnbait'
    return f'{plain} {fill(a["title"]["value"], a["title"]["name"], host)}' if a['title'] else plain


FILLER = ('<p>' + 'The pwnbait article carries hostile inputs; nothing in it may run, load from another '
          'host or take the reader away from the article. ' * 3 + '</p>')


def hostile_rss(host):
    items = []
    for i, a in enumerate(hostile_articles()):
        link = f'http://{host}/hostile/post/{a["slug"]}'
        item_link = f'<link>{link}</link><guid>{link}</guid>'
        if a['link']:
            item_link = f'<link>{html.escape(fill(a["link"]["value"], a["link"]["name"], host))}</link><guid isPermaLink="false">{link}</guid>'
        parts = [f'<title>{html.escape(hostile_title(a, i, host))}</title>', item_link,
                 '<category>HOSTILE</category>',
                 f'<pubDate>{when(i + 1).astimezone(datetime.timezone.utc):%a, %d %b %Y %H:%M:%S} GMT</pubDate>']
        if a['body']:
            summary = fill(a['summary']['value'], a['summary']['name'], host) if a['summary'] else 'pwnbait summary'
            parts.append(f'<description>{html.escape(summary)}</description>')
            parts.append(f'<content:encoded>{html.escape(FILLER + payload_html(a["body"], host))}</content:encoded>')
        else:
            parts.append('<description>pwnbait page article (short feed text)</description>')
        if a['picture']:
            url = html.escape(fill(a['picture']['value'], a['picture']['name'], host), quote=True)
            via = a['picture'].get('via', 'enclosure')
            parts.append({'enclosure': f'<enclosure url="{url}" type="image/png" length="1"/>',
                          'media:content': f'<media:content url="{url}" medium="image" type="image/jpeg"/>',
                          'media:thumbnail': f'<media:thumbnail url="{url}"/>'}[via])
        items.append('<item>' + ''.join(parts) + '</item>\n')
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
            'xmlns:media="http://search.yahoo.com/mrss/"><channel><title>Hostile pwnbait</title>'
            f'<link>http://{host}/hostile/</link><language>en</language>\n{"".join(items)}</channel></rss>')


def hostile_page(slug, host):
    for i, a in enumerate(hostile_articles()):
        if a['slug'] == slug:
            title = html.escape(f'Hostile {i + 1:02d} pwnbait page')
            body = ('<main><article class="post"><div class="post_categoty">HOSTILE</div>'
                    f'<h1 class="post_title">{title}</h1><div class="post_time">{site_time("en", i + 1)}</div>'
                    '<div class="post_cover" style="background-image: url(/hostile/pic/ok.png)"></div>'
                    f'<div class="post_body">{FILLER}{payload_html(a["page"] or a["body"], host)}'
                    '<div class="post_signature">Caliber.Az</div><div class="post_hits">Views: 1</div></div></article></main>')
            return page('en', title, body)
    return None


def hostile_pictures(host):
    """What the corpus's picture URLs point at: one real PNG, and documents that would run script if loaded as one."""
    def svg(name):
        js = fill('{JS}', name, host)
        return (f'<svg xmlns="http://www.w3.org/2000/svg" onload="{html.escape(js)}">'
                f'<script>{js}</script><rect width="10" height="10"/></svg>').encode()
    js = fill('{JS}', 'served-html', host)
    doc = f'<!DOCTYPE html><script>{js}</script><img src=x onerror="{html.escape(js)}">'.encode()
    return {
        'ok.png': (PICTURES['pic3.png'], 'image/png'),
        'evil.svg': (svg('served-svg'), 'image/svg+xml'),
        'svg-as-png.png': (svg('served-svg-as-png'), 'image/png'),
        'html-as-png.png': (doc, 'image/png'),
        'evil.html': (doc, 'text/html; charset=utf-8'),
    }


class Site(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):
        pass

    def send(self, status, body, content_type):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = self.path.split('?')[0]
        with LOCK:
            down = STATE['mode'] == 'down'
            STATE['hits'][path] = STATE['hits'].get(path, 0) + 1
            STATE['log'].append({'path': self.path, 'ua': self.headers.get('User-Agent', '')})
        if down:
            # A kept-alive connection from before the outage: drop it without an answer.
            self.close_connection = True
            return
        html_type = 'text/html; charset=utf-8'
        for lang, prefix in PREFIX.items():
            if path == prefix + '/':
                return self.send(200, listing(lang), html_type)
            if path.startswith(prefix + '/post/') and path.count('/') == prefix.count('/') + 2:
                found = article_page(lang, path.rsplit('/', 1)[1])
                if found:
                    return self.send(200, found, html_type)
        if path == '/rss.xml':
            return self.send(200, rss(self.headers.get('Host', '127.0.0.1')), 'application/rss+xml; charset=utf-8')
        if path.startswith('/uploads/') and path[9:] in PICTURES:
            return self.send(200, PICTURES[path[9:]], 'image/png')
        if path == ZOOM_ICON:
            return self.send(200, ZOOM_PNG, 'image/png')
        host = self.headers.get('Host', '127.0.0.1')
        if path == '/hostile/rss.xml':
            return self.send(200, hostile_rss(host), 'application/rss+xml; charset=utf-8')
        if path.startswith('/hostile/post/'):
            found = hostile_page(path.rsplit('/', 1)[1], host)
            if found:
                return self.send(200, found, html_type)
        pictures = hostile_pictures(host) if path.startswith('/hostile/pic/') else {}
        if path[13:] in pictures:
            return self.send(200, *pictures[path[13:]])
        if path == '/leak':
            return self.send(200, 'leaked', 'text/plain')
        self.send(404, 'not found', 'text/plain')


class Control(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    site = None

    def log_message(self, *args):
        pass

    def reply(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        with LOCK:
            if self.path == '/log':
                return self.reply({'log': STATE['log']})
            self.reply({'mode': STATE['mode'], 'hits': STATE['hits']})

    def do_POST(self):
        mode = self.path.rsplit('/', 1)[-1]
        if mode not in ('normal', 'new', 'breaking', 'more-breaking', 'down'):
            self.send_response(400)
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        with LOCK:
            was = STATE['mode']
            STATE['mode'] = mode
        if mode == 'down' and was != 'down':
            Control.site.stop()
        elif mode != 'down' and was == 'down':
            Control.site.start()
        self.reply({'mode': mode})


class SiteServer:
    def __init__(self, port):
        self.port = port
        self.server = None

    def start(self):
        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(('127.0.0.1', self.port), Site)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--port', type=int, default=8765)
    ap.add_argument('--control-port', type=int, default=8766)
    ap.add_argument('--mode', default='normal', choices=['normal', 'new', 'breaking', 'more-breaking'])
    args = ap.parse_args()
    STATE['mode'] = args.mode
    site = SiteServer(args.port)
    site.start()
    Control.site = site
    control = ThreadingHTTPServer(('127.0.0.1', args.control_port), Control)
    # The ports bound, not the ones asked for: with 0 the system picks free ones, and a caller
    # reads them here (a port found free and then passed in can be taken in between).
    print(f'fixture site on http://127.0.0.1:{site.port}/ (control on :{control.server_address[1]})', flush=True)
    try:
        control.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    sys.exit(main())
