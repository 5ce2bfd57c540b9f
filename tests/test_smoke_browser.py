def test_pytest_playwright_uses_discovered_chromium(page, site):
    page.goto(site + "/hello.html")
    assert page.title() == "你好"
