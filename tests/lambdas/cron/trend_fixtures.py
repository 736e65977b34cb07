"""Trend pages in the real public formats (written here, modelled on the formats), and a helper to serve them."""

from __future__ import annotations

import gzip

from cron.sources import Source

UA = "HuntazeTrendsBot/test (+https://huntaze.com/bot)"
LOOPBACK = ("127.0.0.1/32",)  # what tests and local runs allow besides public addresses

# Google Trends daily RSS (trends.google.com/trending/rss?geo=US): ht:approx_traffic and nested ht:news_item.
GOOGLE_TRENDS_RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:atom="http://www.w3.org/2005/Atom" xmlns:ht="https://trends.google.com/trending/rss" version="2.0">
<channel><title>Daily Search Trends</title><description>Recent searches</description>
<link>https://trends.google.com/trending/rss?geo=US</link>
<atom:link href="https://trends.google.com/trending/rss?geo=US" rel="self" type="application/rss+xml"/>
<item>
  <title>Sabrina Carpenter</title>
  <ht:approx_traffic>50K+</ht:approx_traffic>
  <description></description>
  <link>https://trends.google.com/trending/rss?geo=US</link>
  <pubDate>Mon, 30 Nov 2026 05:40:00 -0800</pubDate>
  <ht:picture>https://encrypted-tbn0.gstatic.com/images?q=tbn:abc</ht:picture>
  <ht:picture_source>People</ht:picture_source>
  <ht:news_item>
    <ht:news_item_title>Fans flood the &lt;b&gt;#Espresso&lt;/b&gt; trend</ht:news_item_title>
    <ht:news_item_snippet>The #BookTok crowd joins in</ht:news_item_snippet>
    <ht:news_item_url>https://example.com/a</ht:news_item_url>
    <ht:news_item_picture>https://example.com/a.jpg</ht:news_item_picture>
    <ht:news_item_source>People</ht:news_item_source>
  </ht:news_item>
  <ht:news_item>
    <ht:news_item_title>Second story: #GRWM for the tour</ht:news_item_title>
    <ht:news_item_url>https://example.com/b</ht:news_item_url>
    <ht:news_item_source>Variety</ht:news_item_source>
  </ht:news_item>
</item>
<item><title>Weather tomorrow</title><ht:approx_traffic>2,000+</ht:approx_traffic></item>
</channel></rss>"""

# A WordPress RSS 2.0 feed: CDATA content:encoded, comment links with #respond, a post repeating one tag.
WORDPRESS_RSS = b"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
  xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:slash="http://purl.org/rss/1.0/modules/slash/">
<channel><title>Creator Blog</title><link>https://blog.example.com</link><description>Tips</description>
<generator>https://wordpress.org/?v=6.7</generator>
<item>
  <title>Five #BookTok picks</title>
  <link>https://blog.example.com/booktok/</link>
  <comments>https://blog.example.com/booktok/#respond</comments>
  <dc:creator><![CDATA[Ana]]></dc:creator>
  <description><![CDATA[<p>Our #booktok list&#8230;</p>]]></description>
  <content:encoded><![CDATA[<p>#BookTok one, #booktok two, #BOOKTOK three.</p>
<p>Captions in colour #fff read best. <a href="https://blog.example.com/booktok/#respond">Reply</a></p>
<p>Sound: &#9836; Espresso &#8211; Sabrina Carpenter</p>]]></content:encoded>
  <slash:comments>0</slash:comments>
</item>
<item>
  <title>Morning routine</title>
  <link>https://blog.example.com/grwm/</link>
  <description><![CDATA[<p>#GRWM today</p><p>\xe2\x99\xac ESPRESSO -  sabrina carpenter</p><p>#<b>BookTok</b></p>]]></description>
</item>
</channel></rss>"""

# Atom with xhtml content and a media:group (YouTube-style).
ATOM_XHTML = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">
<title>Clips</title><id>urn:clips</id><updated>2026-11-30T00:00:00Z</updated>
<entry><title>Clip one</title><id>urn:1</id><updated>2026-11-30T00:00:00Z</updated>
  <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Try the <b>#DanceChallenge</b> with
  <span>#fyp</span></p></div></content>
  <media:group>
    <media:title>\u266c Espresso \u2013 Sabrina Carpenter</media:title>
    <media:description>#Ｆｙｐ picks</media:description>
    <media:content url="https://example.com/v.mp4" type="video/mp4"/>
  </media:group>
</entry></feed>""".encode()

# TikTok Creative Center-shaped JSON (popular hashtags): data.list[].hashtag_name and video_views.
CREATIVE_CENTER = {
    "code": 0,
    "msg": "OK",
    "data": {
        "pagination": {"page": 1, "limit": 20, "total": 6, "has_more": False},
        "list": [
            {
                "hashtag_id": "1",
                "hashtag_name": "booktok",
                "country_info": {"id": "US"},
                "video_views": 1200000,
                "publish_cnt": 5400,
                "rank": 1,
            },
            {"hashtag_id": "2", "hashtag_name": "fyp", "video_views": "1.2M", "publish_cnt": 300, "rank": 2},
            {"hashtag_id": "3", "hashtag_name": "grwm", "video_views": "4200", "rank": 3},
            {"hashtag_id": "4", "hashtag_name": "nothing", "video_views": None, "rank": 4},
            {"hashtag_id": "5", "hashtag_name": "infinite", "video_views": 1e400, "rank": 5},
            {"hashtag_id": "6", "hashtag_name": "negative", "video_views": -3, "rank": 6},
        ],
    },
}
CREATIVE_CENTER_FIELDS = {
    "items_path": "data.list",
    "name_field": "hashtag_name",
    "count_field": "video_views",
    "default_type": "hashtag",
    "count_scale": "views",
}

# Server-rendered HTML with a script, a style, a noscript and unclosed tags.
HTML_PAGE = b"""<!doctype html><html><head><title>Trending</title>
<style>#notatag { color: #fff }</style><script>var tag = "#hidden";</script></head>
<body><noscript>#enablejs</noscript><div class="tag">#BookTok<div><span>#booktok trending
<p>\xe2\x99\xac Espresso - Sabrina Carpenter<li>#GRWM <b>unclosed<p>#<em>Caf\xc3\xa9</em></body>"""

# The same kind of page in Latin-1, declared in the header or only in a meta tag.
LATIN1_PAGE = "<html><body><p>#café au lait, #Caf\u00e9Culture</p></body></html>".encode("latin-1")
LATIN1_META_PAGE = '<html><head><meta charset="iso-8859-1"></head><body><p>#café again</p></body></html>'.encode(
    "latin-1"
)


def gzip_bomb(decompressed_bytes: int) -> bytes:
    return gzip.compress(b"\0" * decompressed_bytes, compresslevel=9)


def configured(**fields) -> Source:
    """A source as the Cron stack hands it over: the stage config's model fills every field it defaults."""
    from stacks.config import TrendSourceConfig

    return Source.from_dict(TrendSourceConfig(**fields).model_dump())


def source(httpserver, kind, path="/t", name=None, **extra) -> Source:
    if kind == "json":
        extra.setdefault("count_scale", "posts")
    extra.setdefault("min_interval_seconds", 0)
    return configured(name=name or f"src-{kind}", url=httpserver.url_for(path), kind=kind, **extra)
