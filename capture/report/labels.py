"""The report's words: every label and sentence in zh-CN and English, and how they are shown."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "report": ("电子证据报告", "Evidence report"),
    "reading_copy": (
        "report.pdf 是阅读副本：其中的截图是 JPEG 压缩副本；证据是证据包中的原始 PNG 文件（其 SHA-256 见附录）。",
        (
            "report.pdf is a reading copy: its screenshots are JPEG copies; the evidence is the original "
            "PNG files in the bundle (their SHA-256 are in the appendix)."
        ),
    ),
    "fingerprint": ("指纹", "Fingerprint"),
    "footer_part": ("报告第 {k}/{n} 部分 · 指纹", "Report part {k} of {n} · fingerprint"),
    "footer_sealed": (
        "封存报告 · 指纹 = manifest.json 的 SHA-256（见 evidence verify）",
        "Sealed report · fingerprint = SHA-256 of manifest.json (see evidence verify)",
    ),
    "footer_unsealed": ("后补渲染，未封存 · 指纹", "Later rendering, NOT sealed · fingerprint"),
    "fingerprint_what": (
        "证据包指纹 = manifest.json 文件的 SHA-256 值。投诉时请引用此指纹。",
        "Bundle fingerprint = SHA-256 of the file manifest.json. Quote it in the complaint.",
    ),
    "sealed": ("本报告已封存", "This report is sealed"),
    "sealed_what": (
        (
            "manifest.json 记录了本报告和证据包中每个文件的 SHA-256。证据包指纹 = manifest.json 的 SHA-256，"
            "由 evidence capture 在采集结束时打印，投诉中应引用它。指纹无法写进它所覆盖的文件，所以本报告里没有指纹。"
        ),
        (
            "manifest.json records the SHA-256 of this report and of every file of the bundle. The bundle "
            "fingerprint is the SHA-256 of manifest.json: evidence capture printed it at the end, and the "
            "complaint quotes it. A fingerprint cannot be printed inside a file it covers, so it is not shown here."
        ),
    ),
    "unsealed": ("后补渲染，未封存", "Later rendering, NOT sealed"),
    "unsealed_what": (
        (
            "本文件由 evidence report 在证据包封存之后（{when}）生成，不受指纹保护，不能作为证据；"
            "封存的报告是证据包中的 report.pdf。下面的指纹和时间戳结果是生成本文件时核验得到的。"
        ),
        (
            "This file was made by evidence report after the bundle was sealed ({when}). The fingerprint "
            "does not cover it and it proves nothing by itself; the sealed report is the bundle's "
            "report.pdf. The fingerprint and timestamp results below are what verify found when it was made."
        ),
    ),
    "howto_expect": (
        "应显示 INTACT（BUNDLE：证据包文件夹、其 .zip 或全部 .partK.zip；FINGERPRINT：投诉中引用的指纹）",
        "must print INTACT (BUNDLE: the bundle folder, its .zip or all its .partK.zip files; "
        "FINGERPRINT: the one quoted in the complaint)",
    ),
    "howto_sums_sealed": (
        "或只用系统自带工具，在证据包文件夹中：第一个命令显示的值应等于投诉中引用的指纹，第二个应显示 1"
        "（清单记录了 sealed.sha256），第三个每行都应为 OK",
        "or with plain tools, in the bundle folder: the first must print the quoted fingerprint, the second 1 "
        "(the manifest records sealed.sha256), the third OK on every line",
    ),
    "howto_openssl": (
        "有时间戳时：用机构的根证书核验签名链（{show} 显示时间与机构）",
        "with a timestamp: checks it against the authority's CA certificate ({show} shows its time and authority)",
    ),
    "ts_requested": (
        "采集时向时间戳机构 {tsa} 申请了 RFC 3161 时间戳，时间戳签在 manifest.json 上（manifest.json 记录了本报告）。"
        "时间戳的时间及可信程度由 evidence verify 显示，也可用 openssl 查看（见上文）。",
        (
            "An RFC 3161 timestamp over manifest.json (which records this report) was requested from {tsa} "
            "when the capture finished. Its time and trust level are shown by evidence verify, or by "
            "openssl (see above)."
        ),
    ),
    "ts_none": (
        "没有可信时间戳：证据包只能证明它与投诉中引用的指纹一致，采集时间仅是采集电脑自己的时钟。",
        (
            "No trusted timestamp: the bundle proves only that it matches the fingerprint quoted in the "
            "complaint; the capture times are the capturing computer's own clock."
        ),
    ),
    "ts_requested_short": (
        "采集结束时已向 {tsa} 申请（签在 manifest.json 上）；时间与可信程度由 evidence verify 显示",
        "requested from {tsa} at the end, over manifest.json; evidence verify shows its time and trust",
    ),
    "ts_none_short": (
        "无：采集时间只是采集电脑自己的时钟",
        "none: the capture times are only the capturing computer's own clock",
    ),
    "ts_trust": ("可信程度", "Trust"),
    "ts_trusted": ("可信（签名链已核验）", "trusted (chain verified)"),
    "ts_not_verified": ("未核验（机构名称仅为时间戳自述）", "not verified (the authority's name is only the token's claim)"),
    "ts_invalid": ("无效（与本证据包不符）", "invalid (does not vouch for this bundle)"),
    "howto": ("如何核验", "How to check"),
    "incomplete": (
        "本次采集未全部完成：证据包只包含下列已完成的采集，这些内容仍可核验。",
        (
            "This capture run did not finish: the bundle holds only the captures listed below, "
            "which can still be checked."
        ),
    ),
    "summary": ("概要", "Summary"),
    "redacted": ("已删除的会话秘密", "Session secrets removed"),
    "redacted_none": ("未发现会话秘密（Cookie、令牌、密码）", "none found (cookies, tokens, passwords)"),
    "redacted_what": (
        "哈希前已从网络日志、追踪和网页快照中删除（页面上可见的文字不变）：",
        "removed before hashing from the network log, trace and page snapshots (visible page text unchanged):",
    ),
    "case": ("案件信息", "Case"),
    "case_title": ("标题", "Title"),
    "platform": ("平台", "Platform"),
    "order_id": ("订单号", "Order ID"),
    "note": ("备注", "Note"),
    "status": ("状态", "Status"),
    "status_complete": ("已完成", "complete"),
    "status_incomplete": ("未完成", "incomplete"),
    "started": ("开始时间", "Started"),
    "finished": ("结束时间", "Finished"),
    "captured": ("采集时间", "Captured"),
    "tool": ("工具", "Tool"),
    "tool_digest": ("工具摘要", "Tool digest"),
    "captures": ("采集项", "Captures"),
    "timestamps": ("可信时间戳", "Trusted timestamps"),
    "timestamps_what": (
        "时间戳机构（TSA）对 manifest.json 的指纹签发了 RFC 3161 时间戳，证明证据包不晚于该时间存在。",
        (
            "A timestamp authority (TSA) signed an RFC 3161 token over manifest.json's fingerprint: "
            "the bundle existed no later than the time shown."
        ),
    ),
    "ts_file": ("文件", "File"),
    "ts_authority": ("机构", "Authority"),
    "ts_time": ("时间", "Time"),
    "ts_serial": ("序列号", "Serial"),
    "ts_signer": ("签名者", "Signer"),
    "ts_status": ("核验", "Check"),
    "environment": ("采集环境", "Capture environment"),
    "os": ("操作系统", "Operating system"),
    "python": ("Python", "Python"),
    "playwright": ("Playwright", "Playwright"),
    "browser": ("浏览器", "Browser"),
    "user_agent": ("User-Agent", "User agent"),
    "headless": ("无界面模式", "Headless"),
    "executable": ("浏览器程序", "Browser executable"),
    "remote": ("远程浏览器", "Remote browser"),
    "viewport": ("视口", "Viewport"),
    "locale": ("语言区域", "Locale"),
    "timezone": ("时区", "Time zone"),
    "checks": ("环境检查", "Environment checks"),
    "check_name": ("检查项", "Check"),
    "check_result": ("结果", "Result"),
    "check_detail": ("说明", "Detail"),
    "login": ("登录会话", "Login session"),
    "login_what": (
        "采集时使用了已保存的登录会话（只记录来源与站点，不记录任何密码或 Cookie 值）。",
        (
            "A saved login session was used (only its source and sites are recorded, "
            "never passwords or cookie values)."
        ),
    ),
    "login_source": ("来源", "Source"),
    "login_profile": ("配置名", "Profile"),
    "login_origins": ("站点", "Origins"),
    "login_cookie_domains": ("Cookie 域", "Cookie domains"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "kind": ("类型", "Kind"),
    "requested_url": ("请求网址", "Requested URL"),
    "final_url": ("最终网址", "Final URL"),
    "title": ("页面标题", "Page title"),
    "http_status": ("HTTP 状态", "HTTP status"),
    "server_ip": ("服务器 IP", "Server IP"),
    "server_date": ("服务器时间（Date 头）", "Server time (Date header)"),
    "local_time": ("本机时间", "Local time"),
    "clock_diff": ("时间差", "Difference"),
    "clock_ahead": ("服务器时钟比本机快 {n} 秒", "server clock {n} s ahead of local clock"),
    "clock_behind": ("服务器时钟比本机慢 {n} 秒", "server clock {n} s behind local clock"),
    "clock_same": ("一致（相差不到 1 秒）", "same (within 1 s)"),
    "clock_note": (
        "Date 头精度为 1 秒；本机时间取页面加载时刻。",
        "The Date header has 1 s resolution; local time is when the page loaded.",
    ),
    "tls": ("TLS 证书", "TLS certificate"),
    "tls_none": ("无（非 HTTPS）", "none (not HTTPS)"),
    "tls_protocol": ("协议", "protocol"),
    "tls_subject": ("主体", "subject"),
    "tls_issuer": ("签发者", "issuer"),
    "tls_valid": ("有效期", "valid"),
    "page_height": ("页面高度", "Page height"),
    "chat_messages": ("聊天消息数", "Chat messages"),
    "chat_height": ("聊天区域高度", "Conversation height"),
    "chat_selector": ("聊天区域", "Conversation element"),
    "warnings": ("警告", "Warnings"),
    "error": ("错误", "Error"),
    "modified": (
        "注意：本工具在此页面上运行了页面脚本（不仅是等待、滚动、点击或遮盖），截图中的页面可能与网站原样不完全相同。",
        (
            "Note: the tool ran script on this page beyond waiting, scrolling, clicking and masking, "
            "so the page as captured may differ from how the site served it."
        ),
    ),
    "actions": ("工具执行的操作", "Actions the tool took"),
    "no_actions": ("无", "none"),
    "col_no": ("序号", "#"),
    "col_time": ("时间", "Time"),
    "col_action": ("操作", "Action"),
    "col_detail": ("详情", "Detail"),
    "col_outcome": ("结果", "Outcome"),
    "artifacts": ("文件及其 SHA-256", "Files and their SHA-256"),
    "col_file": ("文件", "File"),
    "no_files": ("无（此项没有保存任何文件）", "none (nothing was saved for this capture)"),
    "col_role": ("内容", "Content"),
    "col_size": ("字节", "Bytes"),
    "screenshots": ("截图", "Screenshots"),
    "part": ("第 {i}/{n} 部分", "part {i}/{n}"),
    "rows": ("像素行 {a}–{b}（共 {h}）", "pixel rows {a}–{b} of {h}"),
    "image_missing": ("无法读取此图片", "this image could not be read"),
    "transcript": ("聊天记录文字", "Chat transcript"),
    "transcript_missing": ("无法读取聊天记录文件", "the transcript file could not be read"),
    "session_files": ("整个会话的文件", "Session-wide files"),
    "appendix": ("附录：技术细节", "Appendix: technical details"),
    "see_appendix": ("详见附录", "see the appendix"),
    "details_in_appendix": (
        "此项的全部字段、操作记录和文件 SHA-256 见附录第 {n} 项。",
        "Every field, action and file hash of this capture: appendix, item {n}.",
    ),
    "chat_segments": ("聊天分段截图", "Chat segments"),
    "box_segments": ("页内滚动区域分段截图", "Segments of the page's scrolling box"),
    "segments_order": ("按顺序：从左到右，从上到下", "in order: left to right, then down"),
    "seg_repeat": ("上方 {px} px 与上一段重复，未再显示", "top {px} px repeat the previous segment: not shown again"),
    "seg_gap": ("此段之前有 {px} px 未截到", "{px} px before this segment were not captured"),
    "image_too_large": (
        "图片文件头声称 {w} × {h} 像素，无法在报告中显示；证据是证据包中的该 PNG 文件",
        "the image header claims {w} × {h} pixels, too many to show here; the PNG in the bundle is the evidence",
    ),
    "rows_not_shown": (
        "第 {a} 行至第 {h} 行未在报告中显示（太长）；证据是证据包中的 PNG 文件",
        "pixel rows {a}–{h} are not shown here (too long); the PNG in the bundle is the evidence",
    ),
    "outside": (
        (
            "本报告（report.html、report.pdf）列在 manifest.json 中，受指纹保护。只有 SHA256SUMS、"
            "时间戳文件（manifest.json*.tsr）和后补渲染（unsealed/）在 manifest.json 之后生成，"
            "由 SHA256SUMS 列出，不受指纹保护。"
        ),
        (
            "This report (report.html, report.pdf) is listed in manifest.json and covered by the "
            "fingerprint. Only SHA256SUMS, timestamp tokens (manifest.json*.tsr) and later renderings "
            "(unsealed/) are made after manifest.json: SHA256SUMS lists them, the fingerprint does not cover them."
        ),
    ),
    "summary_url": ("网址", "URL"),
    "summary_shots": ("截图数", "Images"),
}

KIND_TEXT = {
    "order": ("订单页", "Order page"),
    "product": ("商品页", "Product page"),
    "chat": ("客服聊天", "Customer-service chat"),
    "page": ("网页", "Web page"),
}
ROLE_TEXT = {
    "screenshot": ("截图", "screenshot"),
    "screenshot_tile": ("截图分块", "screenshot tile"),
    "chat_segment": ("聊天分段截图", "chat segment"),
    "dom": ("网页源码", "HTML (DOM)"),
    "mhtml": ("网页存档", "MHTML archive"),
    "text": ("页面文字", "page text"),
    "transcript": ("聊天记录文字", "chat transcript"),
    "har": ("网络日志", "network log (HAR)"),
    "trace": ("操作追踪", "Playwright trace"),
    "report": ("报告", "report"),
    "checksums": ("封存文件清单", "sealed file list"),
    "box_segment": ("内嵌滚动区分段截图", "scroll box segment"),
}
OUTCOME_TEXT = {"ok": ("成功", "ok"), "warning": ("警告", "warning"), "failed": ("失败", "failed")}
CHECK_TEXT = {"ok": ("正常", "ok"), "warning": ("警告", "warning"), "problem": ("问题", "problem")}


class Words:
    """Bilingual labels: zh-CN and English side by side, or one of them."""

    def __init__(self, lang: str):
        if lang not in ("zh", "en", "both"):
            raise ValueError(f"lang must be zh, en or both, not {lang!r}")
        self.lang = lang

    def pair(self, pair: tuple[str, str], **fmt: str) -> str:
        """Inline label; `fmt` values must already be HTML."""
        zh, en = (part.format(**fmt) if fmt else part for part in pair)
        if self.lang == "zh":
            return f'<span lang="zh-CN">{zh}</span>'
        if self.lang == "en" or zh == en:
            return f'<span lang="en">{en}</span>'
        return f'<span lang="zh-CN">{zh}</span> <span class="en" lang="en">{en}</span>'

    def __call__(self, key: str, **fmt: str) -> str:
        return self.pair(TEXT[key], **fmt)

    def para(self, key: str, css: str = "", **fmt: str) -> str:
        """A sentence: one paragraph per language."""
        zh, en = (part.format(**fmt) if fmt else part for part in TEXT[key])
        cls = f' class="{css}"' if css else ""
        out = []
        if self.lang in ("zh", "both"):
            out.append(f'<p{cls} lang="zh-CN">{zh}</p>')
        if self.lang in ("en", "both"):
            out.append(f'<p{cls} lang="en">{en}</p>')
        return "".join(out)
