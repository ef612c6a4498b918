"""Every ExtractionFailed reason on a realistic page, and the pages that must NOT be flagged.

The wall/challenge fixtures are written by hand after the structure of the real pages (title,
wording, forms, scripts) - small enough to read, close enough to exercise the real checks. A
failure must never become a version, so each test asserts the exact reason; the false-positive
tests assert that real policies which merely *mention* signing in, cookies, JavaScript or CAPTCHAs
still extract.
"""

from __future__ import annotations

import pytest

from monitor.extract import REASONS, ExtractionFailed, extract_text, region_fingerprint

POLICY_PARAGRAPHS = "\n".join(
    f"<p>Section {i}. We collect information you provide when you create an account, such as "
    f"your name and email address, and information about how you use our services, so that "
    f"we can provide, personalise and improve them. You can review and change it at any time "
    f"in your settings.</p>"
    for i in range(1, 9)
)


def policy_page(main: str = POLICY_PARAGRAPHS, *, head: str = "", around: str = "") -> bytes:
    """A normal policy page: navigation, the policy in <main>, a footer."""
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Privacy Policy | Example</title>{head}</head><body>"
        "<nav><a href='/'>Home</a> <a href='/login'>Sign in</a></nav>"
        f"{around}<main><h1>Privacy Policy</h1>{main}</main>"
        "<footer>© 2026 Example Inc.</footer></body></html>"
    ).encode()


def fail(body: bytes, *, url: str = "https://www.example.com/legal/privacy", **kw) -> str:
    """The reason extract_text fails with (asserting that it does fail, with a one-line message)."""
    with pytest.raises(ExtractionFailed) as info:
        extract_text(body, url=url, **kw)
    exc = info.value
    assert exc.reason in REASONS
    assert exc.message and "\n" not in exc.message
    assert str(exc) == exc.message
    # a page that cannot be a version never gets a fingerprint the caller could trust either,
    # unless its failure is decided by the selected text alone (too-short, region walls)
    return exc.reason


# ---------------------------------------------------------------------------------------------
# Login walls
# ---------------------------------------------------------------------------------------------

LINKEDIN_AUTHWALL = b"""<!DOCTYPE html>
<html lang="en">
<head>
<meta name="pageKey" content="d_registration-frontend_join">
<title>Sign Up | LinkedIn</title>
<link rel="canonical" href="https://www.linkedin.com/signup">
</head>
<body class="authwall">
<header class="nav"><a class="nav__logo" href="/?trk=guest_homepage-basic_nav-header-logo">LinkedIn</a></header>
<main class="main" id="main-content" role="main">
<section class="join-form-container">
<h1 class="authwall-join-form__title">Join LinkedIn</h1>
<p class="authwall-join-form__subtitle">Make the most of your professional life</p>
<form class="join-form" action="https://www.linkedin.com/start/join" method="post">
<input type="hidden" name="csrfToken" value="ajax:8364859302">
<label for="email-or-phone">Email or phone</label>
<input type="text" name="email-or-phone" id="email-or-phone" autocomplete="username">
<label for="password">Password (6+ characters)</label>
<input type="password" name="password" id="password" autocomplete="new-password">
<p class="join-form__agreement">By clicking Agree &amp; Join, you agree to the LinkedIn
<a href="/legal/user-agreement?trk=registration-frontend_join-form-user-agreement">User Agreement</a>,
<a href="/legal/privacy-policy?trk=registration-frontend_join-form-privacy-policy">Privacy Policy</a>, and
<a href="/legal/cookie-policy?trk=registration-frontend_join-form-cookie-policy">Cookie Policy</a>.</p>
<button class="join-form__form-body-submit-button" type="submit">Agree &amp; Join</button>
</form>
<p class="main__sign-in-container">Already on LinkedIn?
<a class="main__sign-in-link" href="https://www.linkedin.com/login?session_redirect=%2Flegal%2Fprivacy-policy&amp;trk=authwall">Sign in</a></p>
</section>
</main>
<footer class="li-footer"><ul><li>LinkedIn &copy; 2026</li><li><a href="/legal/user-agreement">User Agreement</a></li>
<li><a href="/legal/privacy-policy">Privacy Policy</a></li><li><a href="/legal/cookie-policy">Cookie Policy</a></li></ul></footer>
</body>
</html>
"""

FACEBOOK_LOGIN = b"""<!DOCTYPE html>
<html lang="en" id="facebook">
<head><meta charset="utf-8"><title>Log in or sign up to view</title>
<meta name="referrer" content="origin-when-crossorigin"></head>
<body class="UIPage_LoggedOut">
<div id="globalContainer"><div role="main">
<h2>See posts, photos and more on Facebook.</h2>
<form id="login_form" action="https://www.facebook.com/login/device-based/regular/login/?login_attempt=1" method="post">
<input type="hidden" name="lsd" value="AVqK3sT8yXk">
<input type="text" name="email" placeholder="Email address or phone number">
<input type="password" name="pass" placeholder="Password">
<button name="login" type="submit">Log in</button>
</form>
<a href="https://www.facebook.com/recover/initiate/">Forgotten password?</a>
<a role="button" href="/r.php">Create new account</a>
</div></div>
<div id="pageFooter"><a href="/privacy/policy/">Privacy Policy</a> <a href="/policies/cookies/">Cookies</a> Meta &copy; 2026</div>
</body></html>
"""

REDDIT_LOGIN = b"""<!DOCTYPE html>
<html lang="en-US"><head><meta charset="UTF-8"><title>Reddit - Dive into anything</title></head>
<body>
<shreddit-app>
<div class="login-container">
<h1>Log In</h1>
<p>By continuing, you agree to our <a href="https://www.redditinc.com/policies/user-agreement">User Agreement</a>
and acknowledge that you understand the <a href="https://www.redditinc.com/policies/privacy-policy">Privacy Policy</a>.</p>
<form action="/svc/shreddit/account/login" method="post">
<input type="hidden" name="csrf_token" value="1d7c0b6ea5a3b6f0">
<label>Email or username <input type="text" name="username"></label>
<label>Password <input type="password" name="password"></label>
<a href="/password">Forgot password?</a>
<button type="submit">Log In</button>
</form>
<p>New to Reddit? <a href="/register/">Sign Up</a></p>
</div>
</shreddit-app>
</body></html>
"""


def test_linkedin_authwall_at_its_own_url_is_a_login_wall():
    url = "https://www.linkedin.com/authwall?trk=gf&trkInfo=AQE&original_referer=&sessionRedirect=x"
    assert fail(LINKEDIN_AUTHWALL, url=url, select=["#component-container"]) == "login-wall"


def test_linkedin_authwall_served_at_the_policy_url_is_a_login_wall():
    url = "https://www.linkedin.com/legal/privacy-policy"
    assert fail(LINKEDIN_AUTHWALL, url=url, select=["#component-container"]) == "login-wall"
    # also when the declaration's selector happens to match the wall's own <main>
    assert fail(LINKEDIN_AUTHWALL, url=url, select=["main"]) == "login-wall"


def test_login_wall_recognised_without_its_title():
    """A variant title (another language, an A/B test): the page content still tells."""
    untitled = LINKEDIN_AUTHWALL.replace(b"<title>Sign Up | LinkedIn</title>", b"")
    url = "https://www.linkedin.com/legal/privacy-policy"
    assert fail(untitled, url=url, select=["#component-container"]) == "login-wall"
    # the selector matches the wall's <main>, whose text is above min_length: the password
    # field inside the selected content is what gives it away
    assert fail(untitled, url=url, select=["main"], min_length=100) == "login-wall"


def test_facebook_log_in_or_sign_up_is_a_login_wall():
    url = "https://www.facebook.com/legal/eu-ai-terms"
    assert fail(FACEBOOK_LOGIN, url=url, select=['range:[role="main"]..[role="separator"]']) == (
        "login-wall"
    )
    assert fail(FACEBOOK_LOGIN, url=url, select=['[role="main"]']) == "login-wall"


def test_reddit_login_page_is_a_login_wall():
    url = "https://www.reddit.com/policies/privacy-policy"
    assert fail(REDDIT_LOGIN, url=url, select=["main"]) == "login-wall"
    assert fail(REDDIT_LOGIN, url=url, select=["shreddit-app"], min_length=50) == "login-wall"


def test_redirect_to_another_domains_login_page_is_a_login_wall():
    page = policy_page()
    for url in (
        "https://accounts.google.com/ServiceLogin?continue=https://policies.google.com/privacy",
        "https://www.facebook.com/login/?next=https%3A%2F%2Fwww.facebook.com%2Fprivacy%2Fpolicy",
        "https://www.linkedin.com/uas/login?session_redirect=%2Flegal%2Fprivacy-policy",
        "https://login.microsoftonline.com/common/oauth2/authorize?client_id=x",
    ):
        assert fail(page, url=url, select=["main"]) == "login-wall", url


# ---------------------------------------------------------------------------------------------
# Bot challenges and block pages
# ---------------------------------------------------------------------------------------------

CLOUDFLARE_CHALLENGE = b"""<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta http-equiv="X-UA-Compatible" content="IE=Edge"><meta name="robots" content="noindex,nofollow">
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>*{box-sizing:border-box;margin:0;padding:0}html{line-height:1.15}</style></head>
<body><div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title h1">www.redditinc.com</h1>
<h2 class="h2" id="challenge-running">Verify you are human by completing the action below.</h2>
<div id="challenge-stage"></div>
<div id="challenge-body-text" class="core-msg spacer">www.redditinc.com needs to review the security
of your connection before proceeding.</div>
<noscript><div class="h2"><span id="challenge-error-text">Enable JavaScript and cookies to
continue</span></div></noscript></div></div>
<script>(function(){window._cf_chl_opt={cvId: '3',cZone: "www.redditinc.com",cType: 'managed',
cRay: '8a1b2c3d4e5f6789',cH: 'k1Qz',cUPMDTk: "\\/policies\\/privacy-policy?__cf_chl_tk=Qx7",
cFPWv: 'b',cITimeS: '1764441600',cTplV: 5};var cpo = document.createElement('script');
cpo.src = '/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=8a1b2c3d4e5f6789';
document.getElementsByTagName('head')[0].appendChild(cpo);}());</script>
<div class="footer" role="contentinfo"><div class="footer-inner"><div class="clearfix diagnostic-wrapper">
<div class="ray-id">Ray ID: <code>8a1b2c3d4e5f6789</code></div></div>
<div class="text-center" id="footer-text">Performance &amp; security by
<a rel="noopener noreferrer" href="https://www.cloudflare.com?utm_source=challenge&amp;utm_campaign=m"
target="_blank">Cloudflare</a></div></div></div></body></html>
"""

CLOUDFLARE_BLOCKED = b"""<!DOCTYPE html>
<html class="no-js" lang="en-US"><head><title>Attention Required! | Cloudflare</title>
<meta charset="UTF-8" /><meta http-equiv="X-UA-Compatible" content="IE=Edge" />
<link rel="stylesheet" id="cf_styles-css" href="/cdn-cgi/styles/cf.errors.css" /></head>
<body><div id="cf-wrapper"><div id="cf-error-details" class="cf-error-details-wrapper">
<div class="cf-wrapper cf-header cf-error-overview"><h1 data-translate="block_headline">Sorry, you have been blocked</h1>
<h2 class="cf-subheadline"><span data-translate="unable_to_access">You are unable to access</span> discord.com</h2></div>
<div class="cf-section cf-wrapper"><div class="cf-columns two"><div class="cf-column">
<h2 data-translate="blocked_why_headline">Why have I been blocked?</h2>
<p data-translate="blocked_why_detail">This website is using a security service to protect itself from online
attacks. The action you just performed triggered the security solution.</p></div>
<div class="cf-column"><h2 data-translate="blocked_resolve_headline">What can I do to resolve this?</h2>
<p data-translate="blocked_resolve_detail">You can email the site owner to let them know you were blocked.</p>
</div></div></div>
<div class="cf-error-footer cf-wrapper"><p><span class="cf-footer-item">Cloudflare Ray ID: <strong>8a1b2c3d4e5f6789</strong></span></p></div>
</div></div></body></html>
"""

GOOGLE_UNUSUAL_TRAFFIC = b"""<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8">
<meta name="viewport" content="initial-scale=1">
<title>https://policies.google.com/privacy?hl=en-US&amp;gl=US</title></head>
<body style="font-family: arial, sans-serif; background-color: #fff; color: #000; padding:20px; font-size:18px;">
<div style="max-width:400px;">
<form id="captcha-form" action="index" method="post">
<script src="https://www.google.com/recaptcha/api.js" async defer></script>
<div id="recaptcha" class="g-recaptcha" data-sitekey="6LfwuyUTAAAAAOAmoS0fdqijC2PbbdH4kjq62Y1b"></div>
<input type="hidden" name="q" value="EgRbq1-xGLXc0sEGIjCxWm-4">
<input type="hidden" name="continue" value="https://policies.google.com/privacy?hl=en-US&amp;gl=US">
</form>
<hr noshade size="1" style="color:#ccc; background-color:#ccc;"><br>
<div style="font-size:13px;"><b>About this page</b><br><br>Our systems have detected unusual traffic from
your computer network. This page checks to see if it&#39;s really you sending the requests, and not a
robot. <a href="#" onclick="document.getElementById('infoDiv').style.display='block';">Why did this
happen?</a><br><br><div id="infoDiv" style="display:none; background-color:#eee; padding:10px;
margin:0 0 15px 0; line-height:1.4em;">This page appears when Google automatically detects requests
coming from your computer network which appear to be in violation of the
<a href="//www.google.com/policies/terms/">Terms of Service</a>.</div>
IP address: 203.0.113.7<br>Time: 2026-11-29T21:55:01Z<br>URL: https://policies.google.com/privacy</div>
</div></body></html>
"""

REDDIT_BLOCKED = b"""<!doctype html><html><head><title>Blocked</title>
<style>body{font:small verdana,arial,helvetica,sans-serif;width:600px;margin:0 auto}</style></head>
<body><h1>whoa there, pardner!</h1>
<p>Your request has been blocked due to a network policy.</p>
<p>Try logging in or creating an account <a href="https://www.reddit.com/login/">here</a> to get back to
browsing.</p>
<p>If you're running a script or application, please register or sign in with your developer
credentials <a href="https://www.reddit.com/prefs/apps/">here</a>. Additionally make sure your User-Agent
is not empty and is something unique and descriptive and try again. if you're supplying an alternate
User-Agent string, try changing back to default as that can sometimes result in a block.</p>
<p>You can read Reddit's Terms of Service <a href="https://www.redditinc.com/policies/user-agreement">here</a>.</p>
<p>if you think that we've incorrectly blocked you or you would like to discuss easier ways to get the
data you want, please file a ticket <a href="https://support.reddithelp.com/hc/en-us/requests/new">here</a>.</p>
<p>when contacting us, please include your ip address which is: <strong>203.0.113.7</strong> and reddit
account</p></body></html>
"""

AKAMAI_DENIED = b"""<HTML><HEAD>
<TITLE>Access Denied</TITLE>
</HEAD><BODY>
<H1>Access Denied</H1>

You don't have permission to access "http&#58;&#47;&#47;www&#46;example&#46;com&#47;legal&#47;privacy" on this server.<P>
Reference&#32;&#35;18&#46;6f3d1002&#46;1764441600&#46;2b1c8e1
<P>https&#58;&#47;&#47;errors&#46;edgesuite&#46;net&#47;18&#46;6f3d1002&#46;1764441600&#46;2b1c8e1</P>
</BODY>
</HTML>
"""


def test_cloudflare_challenge_is_a_captcha():
    url = "https://www.redditinc.com/policies/privacy-policy"
    assert fail(CLOUDFLARE_CHALLENGE, url=url, select=["#content"]) == "captcha"
    # even if the selector matches the challenge's role=main wrapper
    assert fail(CLOUDFLARE_CHALLENGE, url=url, select=['[role="main"]']) == "captcha"


def test_challenge_wording_without_cloudflare_markers_is_a_captcha():
    generic = CLOUDFLARE_CHALLENGE.replace(b"_cf_chl_opt", b"_opts").replace(
        b"<title>Just a moment...</title>", b"<title>www.redditinc.com</title>"
    )
    assert fail(generic, select=["#content"]) == "captcha"


def test_google_unusual_traffic_page_is_a_captcha():
    assert fail(GOOGLE_UNUSUAL_TRAFFIC, select=['div[role="article"]']) == "captcha"
    sorry = "https://www.google.com/sorry/index?continue=https://policies.google.com/privacy&q=Eg"
    assert fail(GOOGLE_UNUSUAL_TRAFFIC, url=sorry, select=['div[role="article"]']) == "captcha"


def test_block_pages_are_bot_walls():
    assert fail(
        CLOUDFLARE_BLOCKED, url="https://discord.com/privacy", select=[".section-rich"]
    ) == ("bot-wall")
    assert fail(REDDIT_BLOCKED, select=["#content"]) == "bot-wall"
    assert fail(AKAMAI_DENIED, select=["main"]) == "bot-wall"
    untitled = AKAMAI_DENIED.replace(b"<TITLE>Access Denied</TITLE>", b"")
    assert fail(untitled, select=["main"]) == "bot-wall"


# ---------------------------------------------------------------------------------------------
# Consent interstitials
# ---------------------------------------------------------------------------------------------

GOOGLE_CONSENT = b"""<!DOCTYPE html><html lang="en" dir="ltr"><head><meta charset="utf-8">
<title>Before you continue to Google</title></head><body>
<div class="KxvlWc"><div class="lSvFae"><h1 class="I90TVb" id="S3BnEe">Before you continue to Google</h1>
<div class="dbXO9"><span>We use <a href="https://policies.google.com/technologies/cookies?hl=en">cookies</a>
and data to</span><ul><li>Deliver and maintain Google services</li><li>Track outages and protect against
spam, fraud and abuse</li><li>Measure audience engagement and site statistics to understand how our
services are used and enhance the quality of those services</li></ul>
<p>If you choose to 'Accept all', we will also use cookies and data to</p><ul><li>Develop and improve new
services</li><li>Deliver and measure the effectiveness of ads</li><li>Show personalised content, depending
on your settings</li><li>Show personalised ads, depending on your settings</li></ul>
<p>If you choose to 'Reject all', we will not use cookies for these additional purposes.</p></div>
<div class="VtwTSb"><form action="https://consent.google.com/save" method="POST">
<input type="hidden" name="gl" value="IE"><input type="hidden" name="m" value="0">
<input type="hidden" name="app" value="0"><input type="hidden" name="pc" value="p">
<input type="hidden" name="continue" value="https://policies.google.com/privacy?hl=en-GB&amp;gl=IE">
<input type="hidden" name="x" value="6"><input type="hidden" name="bl" value="boq_identityfrontenduiserver_20261125.08_p0">
<input type="hidden" name="set_eom" value="true"><button class="tHlp8d" aria-label="Reject all">Reject all</button></form>
<form action="https://consent.google.com/save" method="POST"><input type="hidden" name="set_eom" value="false">
<button class="tHlp8d" aria-label="Accept all">Accept all</button></form></div>
<a href="https://consent.google.com/d?continue=https://policies.google.com/privacy">More options</a>
</div></div></body></html>
"""

META_COOKIE_DIALOG = b"""<!DOCTYPE html><html id="facebook" lang="en"><head><meta charset="utf-8">
<title>Facebook</title></head><body>
<div role="dialog" aria-label="Allow the use of cookies from Facebook on this browser?">
<h2>Allow the use of cookies from Facebook on this browser?</h2>
<p>We use cookies and similar technologies to help to provide and improve content on
<a href="https://www.facebook.com/help/1561485474074139">Meta Products</a>. We also use them to provide
a safer experience by using information that we receive from cookies on and off Facebook, and to
provide and improve Meta Products for people who have an account.</p>
<div role="button" tabindex="0">Allow all cookies</div>
<div role="button" tabindex="0">Decline optional cookies</div>
</div></body></html>
"""


def test_google_consent_interstitial_is_a_consent_wall():
    consent = "https://consent.google.com/ml?continue=https://policies.google.com/privacy&gl=IE"
    assert fail(GOOGLE_CONSENT, url=consent, select=['div[role="article"]']) == "consent-wall"
    # the same page served at the policy URL (no redirect) is recognised by its content
    url = "https://policies.google.com/privacy?hl=en-GB&gl=IE"
    assert fail(GOOGLE_CONSENT, url=url, select=['div[role="article"]']) == "consent-wall"
    untitled = GOOGLE_CONSENT.replace(b"<title>Before you continue to Google</title>", b"")
    assert fail(untitled, url=url, select=['div[role="article"]']) == "consent-wall"
    # and when a broad selector matches it, the consent form in the selection tells
    assert fail(untitled, url=url, select=["body"], min_length=100) == "consent-wall"


def test_meta_cookie_dialog_is_a_consent_wall():
    url = "https://www.facebook.com/legal/eu-ai-terms"
    select = ['range:[role="main"]..[role="separator"]']
    assert fail(META_COOKIE_DIALOG, url=url, select=select) == "consent-wall"


# ---------------------------------------------------------------------------------------------
# Unsupported browser, JavaScript shells
# ---------------------------------------------------------------------------------------------

FACEBOOK_UNSUPPORTED = b"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Facebook</title>
</head><body><div class="_4-u2 _1w1t"><h2>Facebook is not available on this browser</h2>
<p>To continue using Facebook, get one of the browsers below.</p>
<ul><li><a href="https://www.google.com/chrome/">Chrome</a></li><li><a href="https://www.mozilla.org/firefox/">Firefox</a></li></ul>
</div></body></html>
"""

UNSUPPORTED_TITLE = b"""<!DOCTYPE html><html><head><title>Unsupported Browser | LinkedIn</title></head>
<body><h1>Please update your browser</h1><p>You're using a web browser we don't support.</p></body></html>
"""

CRA_SHELL = b"""<!doctype html><html lang="en"><head><meta charset="utf-8"/>
<link rel="icon" href="/favicon.ico"/><meta name="viewport" content="width=device-width,initial-scale=1"/>
<title>Discord</title><script defer="defer" src="/static/js/main.4f2a9c1e.js"></script>
<link href="/static/css/main.0b1c2d3e.css" rel="stylesheet"></head>
<body><noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div></body></html>
"""

NEXT_SHELL = b"""<!DOCTYPE html><html lang="en-US"><head><meta charset="utf-8"/>
<title>How your data is used to improve model performance | OpenAI</title>
<script src="/_next/static/chunks/webpack-6f2a.js" defer=""></script>
<script src="/_next/static/chunks/main-app-91c3.js" defer=""></script></head>
<body><div id="__next"></div>
<script>self.__next_f=self.__next_f||[];self.__next_f.push([0])</script></body></html>
"""


def test_unsupported_browser_pages():
    url = "https://www.facebook.com/legal/eu-ai-terms"
    assert fail(FACEBOOK_UNSUPPORTED, url=url, select=['[role="main"]']) == "unsupported-browser"
    assert fail(UNSUPPORTED_TITLE, select=["#component-container"]) == "unsupported-browser"


def test_javascript_shells_are_js_required():
    assert fail(CRA_SHELL, url="https://discord.com/privacy", select=[".section-rich"]) == (
        "js-required"
    )
    url = "https://openai.com/policies/how-your-data-is-used-to-improve-model-performance/"
    assert fail(NEXT_SHELL, url=url, select=["main"]) == "js-required"
    # an empty <main> filled by scripts: the selector matches, the text is empty
    shell_main = NEXT_SHELL.replace(b'<div id="__next"></div>', b'<main id="__next"></main>')
    assert fail(shell_main, url=url, select=["main"]) == "js-required"


# ---------------------------------------------------------------------------------------------
# Truncated transfers
# ---------------------------------------------------------------------------------------------


def test_page_cut_inside_the_selected_content_is_truncated():
    page = policy_page()
    cut = page[: page.index(b"Section 5.") + 40]  # mid-text, inside <main>
    assert fail(cut, select=["main"]) == "truncated"
    cut_at_tag = page[: page.index(b"<p>Section 6.")]  # at a tag boundary, <main> never closed
    assert fail(cut_at_tag, select=["main"]) == "truncated"
    mid_tag = page[: page.index(b"<p>Section 6.") + 2]  # "...<p"
    assert fail(mid_tag, select=["main"]) == "truncated"


def test_page_cut_mid_character_is_truncated():
    page = policy_page(main=POLICY_PARAGRAPHS + "<p>Änderungen – “Datenschutz”</p>" * 3)
    end = page.index("“".encode()) + 2  # inside the 3-byte UTF-8 sequence of “
    assert fail(page[:end], select=["main"]) == "truncated"


def test_page_cut_before_the_selection_is_truncated_not_structure_changed():
    page = policy_page(head="<script>var config = {" + "'k': 'v', " * 50 + "};</script>")
    cut = page[: page.index(b"'k': 'v', ") + 300]
    assert fail(cut, select=["main"]) == "truncated"


def test_page_cut_after_the_selection_is_fine():
    """The footer was lost, the policy is complete: nothing to refuse."""
    page = policy_page()
    cut = page[: page.index(b"<footer>") + 12]
    text = extract_text(cut, url="https://www.example.com/p", select=["main"])
    assert "Section 8." in text


def test_complete_pages_without_closing_tags_are_not_truncated():
    """policies.google.com omits </body></html>; so do many hand-written pages."""
    page = policy_page().replace(b"</body></html>", b"")
    assert "Section 8." in extract_text(page, url="https://www.example.com/p", select=["main"])
    only_main = policy_page().replace(
        b"<footer>\xc2\xa9 2026 Example Inc.</footer></body></html>", b""
    )
    assert only_main.endswith(b"</main>")
    assert "Section 8." in extract_text(only_main, url="https://www.example.com/p", select=["main"])


def test_real_snapshot_cut_in_half_is_truncated(corpus_dir):
    body = (
        corpus_dir / "snapshots/Discord/Terms-of-Service/2021-05-30T16-01-11Z.html"
    ).read_bytes()
    for fraction in (0.3, 0.5, 0.7):
        cut = body[: int(len(body) * fraction)]
        assert fail(cut, url="https://discord.com/terms", select=[".document-3OCpS5"]) == (
            "truncated"
        ), fraction


# ---------------------------------------------------------------------------------------------
# Not HTML, empty, too short, structure changed
# ---------------------------------------------------------------------------------------------


def test_binary_bodies_are_not_html():
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    assert fail(pdf, content_type="application/pdf", select=["main"]) == "not-html"
    assert fail(pdf, content_type="text/html", select=["main"]) == "not-html"  # lying header
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00"
    assert fail(png, select=["main"]) == "not-html"
    gzipped = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\x00" * 40
    assert fail(gzipped, content_type="text/html", select=["main"]) == "not-html"
    json_body = b'{"error": {"code": 429, "message": "Rate limit exceeded"}}'
    assert fail(json_body, content_type="application/json", select=["main"]) == "not-html"
    plain = b"Service temporarily unavailable. Please try again later."
    assert fail(plain, content_type="text/plain", select=["main"]) == "not-html"


def test_html_under_a_wrong_content_type_is_still_html():
    page = policy_page()
    for ctype in ("text/plain", "application/octet-stream", None):
        text = extract_text(
            page, url="https://www.example.com/p", content_type=ctype, select=["main"]
        )
        assert "# Privacy Policy" in text


def test_empty_bodies():
    assert fail(b"", select=["main"]) == "empty"
    assert fail(b"  \r\n\t  \n", select=["main"]) == "empty"
    assert fail(b"<html><head></head><body></body></html>", select=["main"]) == "empty"
    assert fail(b"<!-- nothing -->", select=["main"]) == "empty"


def test_short_text_is_too_short_with_length_and_minimum_in_the_message():
    page = policy_page(main="<p>Page not found.</p>")
    with pytest.raises(ExtractionFailed) as info:
        extract_text(page, url="https://www.example.com/p", select=["main"], min_length=200)
    assert info.value.reason == "too-short"
    assert "200" in info.value.message and "34 characters" in info.value.message
    # link targets do not count towards the length: a page of bare links is still short
    links = "".join(
        f"<a href='https://www.example.com/a/very/long/url/{i}'>x</a> " for i in range(30)
    )
    assert fail(policy_page(main=f"<p>{links}</p>"), select=["main"], min_length=200) == "too-short"
    # an empty selection is too short too (the page exists, its content is gone)
    assert fail(policy_page(main="<div class='spinner'></div>"), select=["main"]) == "too-short"


def test_selector_that_matches_nothing_is_structure_changed():
    with pytest.raises(ExtractionFailed) as info:
        extract_text(
            policy_page(),
            url="https://www.example.com/legal/privacy?token=s3cr3t",
            select=["#component-container"],
        )
    exc = info.value
    assert exc.reason == "structure-changed"
    assert "'#component-container'" in exc.message
    assert "https://www.example.com/legal/privacy" in exc.message
    assert "s3cr3t" not in exc.message  # query strings (tokens) never reach messages
    assert "update the declaration's select" in exc.message


def test_structure_changed_on_a_real_policy(corpus_dir):
    """A real page whose layout changed: long text, login bars, cookie banners - and still
    reported as a layout change, not as a wall."""
    path = corpus_dir / "snapshots/Meta-AI/Terms-of-Service/2026-05-13T10-32-30Z.html"
    body = path.read_bytes()
    assert fail(body, url="https://www.facebook.com/legal/eu-ai-terms", select=["#content"]) == (
        "structure-changed"
    )


def test_walls_get_no_fingerprint():
    assert region_fingerprint(LINKEDIN_AUTHWALL, select=["main"]) is None
    assert region_fingerprint(CLOUDFLARE_CHALLENGE, select=['[role="main"]']) is None
    assert region_fingerprint(b"", select=["main"]) is None
    assert region_fingerprint(policy_page(), select=["#nothing"]) is None
    cut = policy_page()[:400]
    assert region_fingerprint(cut, select=["main"]) is None
    assert region_fingerprint(policy_page(), select=["main"]) is not None


# ---------------------------------------------------------------------------------------------
# Encoding
# ---------------------------------------------------------------------------------------------

FRENCH = (
    "<p>Nous utilisons vos données personnelles pour améliorer nos services. Vous pouvez "
    "à tout moment vous opposer à ce traitement et demander l’effacement de vos données.</p>"
)


def test_double_encoded_text_is_an_encoding_failure():
    mojibake = FRENCH.encode("utf-8").decode("cp1252", "replace").encode("utf-8")
    page = policy_page(main=mojibake.decode("utf-8") * 4)
    with pytest.raises(ExtractionFailed) as info:
        extract_text(
            page,
            url="https://www.example.com/p",
            select=["main"],
            content_type="text/html; charset=utf-8",
        )
    assert info.value.reason == "encoding"
    assert "Ã©" in info.value.message  # the message shows what the damage looks like


def test_replacement_characters_are_an_encoding_failure():
    broken = (
        "<p>Datenschutzerkl\ufffdrung: Wir verarbeiten Ihre Daten gem\ufffd\ufffd Art. 6.</p>" * 6
    )
    page = policy_page(main=broken)
    assert fail(page, select=["main"], content_type="text/html; charset=utf-8") == "encoding"


def test_wrong_header_charset_is_corrected_not_failed():
    page = policy_page(main=FRENCH * 3)
    text = extract_text(
        page,
        url="https://www.example.fr/p",
        select=["main"],
        content_type="text/html; charset=iso-8859-1",
    )
    assert "données personnelles" in text and "l’effacement" in text
    assert "Ã" not in text


# ---------------------------------------------------------------------------------------------
# False positives: real policies mention all of this
# ---------------------------------------------------------------------------------------------

MENTIONS = (
    "<p>To change this setting, sign in to your account, go to Settings and choose Data "
    "privacy. If you forgot your password, use the password reset page. You can log in with "
    "your email address.</p>"
    "<p>We use cookies and similar technologies. You can accept all cookies or reject all "
    "optional cookies in the cookie banner, and change your choice later.</p>"
    "<p>Some features require JavaScript; please enable JavaScript in your browser. If your "
    "browser is not supported, update your browser to the latest version.</p>"
    "<p>We use reCAPTCHA to verify that you are a human and not a robot, and to detect unusual "
    "traffic from your computer network. Too many requests from one address may be blocked.</p>"
)


def test_short_help_article_that_mentions_walls_is_not_a_wall():
    """~1,000 characters of real-sounding help text, with a login bar and a cookie banner
    around it (outside the selection), extracts as a document."""
    page = policy_page(
        main=MENTIONS,
        around=(
            "<div class='login-bar'><form action='/login'><input name='email'>"
            "<input type='password' name='pass'><button>Log in</button></form></div>"
            "<div class='cookie-banner'>We use cookies. <button>Accept all</button>"
            "<button>Reject all</button></div>"
        ),
    )
    text = extract_text(page, url="https://www.example.com/help/123", select=["main"])
    assert "sign in to your account" in text
    assert "verify that you are a human" in text


def test_whole_body_selection_of_a_real_looking_page_is_not_a_wall():
    page = policy_page(main=MENTIONS)
    text = extract_text(page, url="https://www.example.com/help/123")
    assert "enable JavaScript" in text


@pytest.mark.parametrize(
    "phrase",
    ["sign in", "log in", "cookies", "password", "verify you", "blocked", "browser", "consent"],
)
def test_real_version_texts_mentioning_walls_extract(corpus_dir, phrase):
    """Every real policy version that mentions the phrase, served as a page, extracts."""
    import html as html_lib
    import json

    manifest = json.loads((corpus_dir / "versions/manifest.json").read_text())
    checked = 0
    for entry in manifest:
        if entry.get("degenerate"):
            continue
        path = corpus_dir.parent / entry["path"]
        text = path.read_text(encoding="utf-8")
        if phrase not in text.lower():
            continue
        paragraphs = "".join(
            f"<p>{html_lib.escape(p)}</p>" for p in text.split("\n\n") if p.strip()
        )
        page = policy_page(main=paragraphs)
        out = extract_text(page, url="https://www.example.com/p", select=["main"], min_length=500)
        assert len(out) > 500
        checked += 1
        if checked >= 12:
            break
    assert checked > 0, f"no real version mentions {phrase!r}"


@pytest.mark.slow
def test_every_real_version_text_extracts_inside_a_page_with_walls_around_it(corpus_dir):
    """All real policy versions (LinkedIn, Meta, Google, Discord, Reddit, X, ...): served as
    a page with a login bar and a cookie banner outside the selection, none is flagged."""
    import html as html_lib
    import json

    around = (
        "<div class='login-bar'><form action='/login'><input name='email'>"
        "<input type='password' name='pass'><button>Log in</button></form>"
        "<a href='/signup'>Join now</a></div>"
        "<div class='cookie-banner'>We use cookies. <button>Accept all</button>"
        "<button>Reject all</button></div>"
        "<noscript>You need to enable JavaScript to run this app.</noscript>"
    )
    manifest = json.loads((corpus_dir / "versions/manifest.json").read_text())
    checked = 0
    for entry in manifest:
        if entry.get("degenerate"):
            continue
        text = (corpus_dir.parent / entry["path"]).read_text(encoding="utf-8")
        paragraphs = "".join(
            f"<p>{html_lib.escape(p)}</p>" for p in text.split("\n\n") if p.strip()
        )
        out = extract_text(
            policy_page(main=paragraphs, around=around),
            url="https://www.example.com/legal/privacy",
            select=["main"],
            min_length=1000,
        )
        assert len(out) > 1000, entry["path"]
        checked += 1
    assert checked > 450
