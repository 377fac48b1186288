"""The net every browser test walks under: each page a test reaches is checked once it has
loaded, for two things.

- **It fits the screen.** The document is no wider than the viewport
  (``document.documentElement.scrollWidth <= window.innerWidth``) and no visible element's box
  reaches past the right edge (or the left one): on a phone nothing may scroll sideways.  Nor
  may text be squeezed into a column a character or two wide, or a placeholder be cut off.
- **axe-core finds no WCAG 2.1 A or AA violation** (``axe-playwright-python``).

Use :func:`new_page` to open pages: it returns the context and a :class:`CheckedPage`, a thin
proxy of Playwright's page that runs :func:`check_page` after every call that can land on a new
document (``goto``, ``click``, ``wait_for_url``, …) and again when the context closes.  Each
document is checked once (a marker on its ``window``), so a test pays for a check per page, not
per step.  A page that fails raises :class:`PageProblem` naming the address and every problem.
"""

from __future__ import annotations

import re

from playwright.sync_api import Error as PlaywrightError

# The phone every page must fit (an iPhone 12-14 in CSS pixels).
PHONE = {"width": 390, "height": 844}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Pages this suite visits but whose templates belong to work in progress elsewhere, with the
# problems known there: (address pattern, problem id) -> why it is waived here.  Keep it empty
# when you can; every entry is reported, and must be removed when its page is fixed.
KNOWN_PROBLEMS: dict[tuple[str, str], str] = {}

_LAYOUT_JS = """
() => {
  const vw = window.innerWidth;
  const found = [];
  const doc = document.documentElement.scrollWidth;
  if (doc > vw) found.push(['overflow', `the document is ${doc}px wide in a ${vw}px viewport`]);
  const name = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    if (el.classList.length) s += '.' + [...el.classList].join('.');
    const text = (el.innerText || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
    return text ? `${s} "${text}"` : s;
  };
  // Content clipped by an ancestor that itself fits (overflow hidden or clip, as in the
  // visually-hidden pattern) cannot widen the page: it is not looked at.  Scroll containers
  // (overflow auto or scroll) do not count as clipping: sideways scrolling is what we look for.
  const clipped = new Map();
  const isClipped = (el) => {
    if (!el || el === document.body) return false;
    if (clipped.has(el)) return clipped.get(el);
    const style = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    const clips = ['hidden', 'clip'].includes(style.overflowX) || style.clipPath !== 'none' || style.clip !== 'auto';
    const result = (clips && r.right <= vw + 0.5 && r.left >= -0.5) || isClipped(el.parentElement);
    clipped.set(el, result);
    return result;
  };
  let overflowing = 0;
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (isClipped(el.parentElement)) continue;
    const right = r.right + window.scrollX, left = r.left + window.scrollX;
    if (right > vw + 0.5 || left < -0.5) {
      if (++overflowing <= 12) {
        found.push(['overflow', right > vw + 0.5 ? `${name(el)} reaches ${Math.round(right)}px, past the right edge (${vw}px)`
                                                : `${name(el)} starts at ${Math.round(left)}px, past the left edge`]);
      }
    }
    // A placeholder wider than its box is cut off: the hint cannot be read.
    if ((el.tagName === 'INPUT' || el.tagName === 'TEXTAREA') && el.placeholder && !el.value) {
      const style = getComputedStyle(el);
      const ctx = (window.__netCanvas = window.__netCanvas || document.createElement('canvas')).getContext('2d');
      ctx.font = style.font || `${style.fontSize} ${style.fontFamily}`;
      const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      const needs = ctx.measureText(el.placeholder).width;
      if (el.tagName === 'INPUT' && needs > room + 1) {
        found.push(['placeholder', `${name(el)}: its placeholder "${el.placeholder}" needs ${Math.round(needs)}px, the box has ${Math.round(room)}px`]);
      }
    }
  }
  // Text squeezed into a column so narrow that it stands one or two characters a line.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  let squeezed = 0;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    if (text.length < 4 || isClipped(node.parentElement)) continue;
    range.selectNodeContents(node);
    const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
    if (lines.size >= 3 && lines.size * 2.5 >= text.length && ++squeezed <= 5) {
      found.push(['squeezed', `${name(node.parentElement)}: "${text.slice(0, 30)}" stands on ${lines.size} lines, a character or two each`]);
    }
  }
  return found;
}
"""

_MARK = "() => window.__ownersvoteChecked === true"
_SET_MARK = "() => { window.__ownersvoteChecked = true; }"


class PageProblem(AssertionError):
    pass


def _axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def _problems(page) -> list[tuple[str, str]]:
    """(problem id, description) for everything wrong with the page as it is now."""
    found = [(kind, text) for kind, text in page.evaluate(_LAYOUT_JS)]
    results = _axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    for violation in results.response["violations"]:
        targets = ", ".join(" ".join(map(str, node["target"])) for node in violation["nodes"][:4])
        more = len(violation["nodes"]) - 4
        found.append(
            (f"axe:{violation['id']}", f"{violation['help']} ({violation['impact']}): {targets}{f' and {more} more' if more > 0 else ''}")
        )
    return found


def _waived(url: str, problem: str) -> bool:
    return any(re.search(pattern, url) and problem == rule for (pattern, rule) in KNOWN_PROBLEMS)


def check_page(page) -> None:
    """Check the page's current document once: it fits the viewport and axe finds nothing."""
    for _attempt in range(5):
        try:
            page.wait_for_load_state("load")
            if page.url.startswith(("about:", "data:")) or page.evaluate(_MARK):
                return
            problems = _problems(page)
            page.evaluate(_SET_MARK)
            url = page.url
            break
        except PlaywrightError as exc:  # the page navigated while it was being checked
            if "context was destroyed" in str(exc) or "navigat" in str(exc):
                continue
            raise
    else:
        raise PageProblem(f"{page.url} kept navigating and could not be checked")
    width = page.evaluate("() => window.innerWidth")
    left = [(pid, text) for pid, text in problems if not _waived(url, pid)]
    if left:
        lines = "\n".join(f"  - [{pid}] {text}" for pid, text in left)
        raise PageProblem(f"{url} (viewport {width}px) fails the page net:\n{lines}")


def check_again(page) -> None:
    """Check the current document once more, after its script changed it (a verdict shown, a
    report unfolded, a step of a form revealed): the first check ran when it had loaded."""
    raw = getattr(page, "_page", page)
    raw.evaluate("() => { window.__ownersvoteChecked = false; }")
    check_page(raw)


_ACTIONS = frozenset(
    {
        "goto",
        "reload",
        "go_back",
        "go_forward",
        "click",
        "dblclick",
        "tap",
        "fill",
        "press",
        "type",
        "check",
        "uncheck",
        "select_option",
        "set_input_files",
        "wait_for_url",
        "wait_for_load_state",
        "wait_for_selector",
        "wait_for_timeout",
    }
)


class CheckedPage:
    """A Playwright page whose every new document is checked by :func:`check_page`."""

    def __init__(self, page):
        object.__setattr__(self, "_page", page)

    def __getattr__(self, name):
        attr = getattr(self._page, name)
        if name in _ACTIONS:

            def checked(*args, **kwargs):
                result = attr(*args, **kwargs)
                check_page(self._page)
                return result

            return checked
        if name == "expect_navigation":
            return self._expect_navigation
        return attr

    def __setattr__(self, name, value):
        setattr(self._page, name, value)

    def _expect_navigation(self, *args, **kwargs):
        page = self._page

        class _Checked:
            def __enter__(self):
                self.manager = page.expect_navigation(*args, **kwargs)
                return self.manager.__enter__()

            def __exit__(self, *exc):
                outcome = self.manager.__exit__(*exc)
                if exc[0] is None:
                    check_page(page)
                return outcome

        return _Checked()


class CheckedContext:
    """The browser context of a :class:`CheckedPage`: closing it checks the last page first."""

    def __init__(self, context, page: CheckedPage):
        self._context, self._page = context, page

    def __getattr__(self, name):
        return getattr(self._context, name)

    def close(self) -> None:
        try:
            if not self._page.is_closed():
                check_page(self._page._page)
        finally:
            self._context.close()


def new_page(browser, phone: bool = True, locale: str = "zh-CN", user_agent: str | None = None):
    """A fresh context and page (a phone, 390×844, unless ``phone`` is false), with script
    errors collected in ``page.errors`` and every page checked.  ``user_agent``: the browser
    says it is another (an app's own browser, say)."""
    extra = {"user_agent": user_agent} if user_agent else {}
    context = browser.new_context(
        viewport=PHONE if phone else {"width": 1200, "height": 900}, accept_downloads=True, locale=locale, **extra
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "favicon" not in msg.text else None)
    page.errors = errors
    checked = CheckedPage(page)
    return CheckedContext(context, checked), checked


def staff_login(page, base: str, username: str, password: str = "correct horse battery") -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button.primary")
    page.wait_for_load_state("load")
