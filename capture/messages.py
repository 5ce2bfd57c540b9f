"""Every line the tool prints for a person, in Chinese and English, in one place.

The buyers are mostly Chinese-speaking; support staff and courts may read English. The
language follows the locale (or EVIDENCE_LANG) at the moment a line is printed, so a
test or a shell can switch it per run. Machine-readable output (--json, manifest
values, the verdict keywords INTACT/ALTERED/INVALID, exit codes) never comes from here.

Terms, used the same way everywhere: 证据包 bundle, 指纹 fingerprint, 核验 verify,
截图 screenshot, 聊天记录 chat history, 时间戳 timestamp, 采集 capture, 清单 manifest,
计划文件 plan file, 时间戳服务 TSA.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping

LANGUAGES = ("zh", "en")

# id: (zh-CN, English). Placeholders are str.format fields, the same in both texts.
# "\b" alone on a line keeps Click from rewrapping the paragraph after it.
MESSAGES: dict[str, tuple[str, str]] = {
    # --- help: Click's own words ---------------------------------------------------------
    "help.usage": ("用法：", "Usage: "),
    "help.heading.Options": ("选项", "Options"),
    "help.heading.Commands": ("命令", "Commands"),
    "help.heading.Positional arguments": ("参数", "Positional arguments"),
    "help.heading_end": ("：", ":"),
    "help.label.default": ("默认：", "default: "),
    "help.label.env": ("环境变量：", "env var: "),
    "help.label.required": ("必填", "required"),
    "opt.help": ("显示本帮助并退出。", "Show this message and exit."),
    "opt.version": ("显示版本号并退出。", "Show the version and exit."),
    # --- the end of a capture run -------------------------------------------------------
    "run.counted": ("{ok}/{total} 个页面采集成功；证据包：{root}", "{ok} of {total} captures succeeded; bundle: {root}"),
    "run.interrupted": ("已中断：证据包保存了到目前为止采集的内容，仍可核验。",
                        "Interrupted: the bundle holds what was captured so far and still verifies."),
    "run.resume": ("之后可用同一条命令加上 --resume -o {root} 继续。",
                   "Continue later with the same command plus: --resume -o {root}"),
    "run.failed": ("  失败：{kind} {url}：{error}", "  failed: {kind} {url}: {error}"),
    "run.timestamp": ("时间戳 {path}：{time}，来自 {authority}（核验：evidence verify {root}）",
                      "Timestamp {path}: {time} from {authority} (check it with: evidence verify {root})"),
    "run.report": ("报告：{path}", "Report: {path}"),
    "run.nothing": ("没有采集到任何页面：证据包只记录了失败的尝试，不能证明页面内容。请先解决上面的问题再采集。",
                    "No page was captured: the bundle records only the failed attempts, it is not "
                    "evidence of the pages. Fix the problem above and capture again."),
    "run.record_fingerprint": ("这份记录的指纹：{fingerprint}", "Fingerprint of that record: {fingerprint}"),
    "run.fingerprint": ("指纹（manifest.json 的 SHA-256）：{fingerprint}",
                        "Fingerprint (SHA-256 of manifest.json): {fingerprint}"),
    "run.quote": ("投诉时请引用这个指纹：任何人都能用 `evidence verify BUNDLE --expect 指纹` 或 "
                  "`sha256sum -c SHA256SUMS` 核验证据包。",
                  "Quote this fingerprint in your complaint: anyone can check the bundle against it "
                  "with `evidence verify BUNDLE --expect FINGERPRINT` or `sha256sum -c SHA256SUMS`."),
    "run.start": ("[{index}/{total}] {kind:<7} {url} …", "[{index}/{total}] {kind:<7} {url} ..."),
    "run.done": ("[{index}/{total}] {kind:<7} {status} {seconds:.1f} 秒 {verdict}{extra}",
                 "[{index}/{total}] {kind:<7} {status} {seconds:.1f} s {verdict}{extra}"),
    "verify.no_such_path": ("{path} 不存在；请给出证据包目录、它的 .zip 或全部 .partK.zip 文件",
                            "{path} does not exist; give a bundle directory, its .zip or all its .partK.zip files"),
    "verify.dir_among_parts": ("{path} 是目录：请只给一个证据包目录，或同一个证据包的全部 .zip 分卷",
                               "{path} is a directory: give one bundle directory, or the .zip parts of one bundle"),
    "verify.not_file_or_dir": ("{path} 既不是目录也不是文件；请给出证据包目录或它的 .zip",
                               "{path} is neither a directory nor a file; give a bundle directory or its .zip"),
    "verify.not_bundle": ("{path} 里没有 manifest.json：它不是证据包",
                          "{path} has no manifest.json: it is not an evidence bundle"),
    "verify.not_bundle_or_zip": ("{path} 既不是证据包目录，也不是 .zip",
                                 "{path} is neither a bundle directory nor a .zip"),
    "verify.unreadable": ("无法读取 {path}：{error}", "cannot read {path}: {error}"),
    "verify.nothing_given": ("请给出证据包目录、它的 .zip 或全部 .partK.zip 文件",
                             "give a bundle directory, its .zip, or all its .partK.zip files"),
    "verify.too_many_parts": ("给了 {count} 个文件；一个证据包最多 {most} 个分卷",
                              "{count} files given; a bundle has at most {most} parts"),
    "run.removed_unrecorded": ("已删除最后一次保存之后写入、未记录的 {count} 个文件",
                               "removed {count} unrecorded file(s) written after the last save"),
    # The check's name, result and detail are the manifest's words, shown as recorded.
    "run.environment_check": ("环境检查 {result}：{name}：{detail}", "environment {result}: {name}: {detail}"),
    "run.ok": ("完成", "ok"),
    "progress.chat_history": ("      聊天记录加载中：已向上加载 {loads} 次，已载入 {height} px …",
                              "      chat history: {loads} loads so far, {height} px loaded ..."),
    "progress.chat_segments": ("      聊天记录截图：{segments} 段，{covered} / {height} px，{messages} 条消息 …",
                               "      chat pictures: {segments} segments, {covered} of {height} px, "
                               "{messages} messages ..."),
    "progress.tiles": ("      长页面截图：第 {number} 块，{covered} / {height} px …",
                       "      tall page: tile {number}, {covered} of {height} px ..."),
    "progress.verify": ("核验中：{files} / {total} 个文件，{done} / {size} MiB …",
                        "verifying: {files} of {total} files, {done} of {size} MiB ..."),
    "run.failed_verdict": ("失败：{error}", "FAILED: {error}"),
    "run.http_error": ("已保存，但服务器返回 HTTP {status}{text}", "kept, but the server answered HTTP {status}{text}"),
    "run.warning": ("（1 条警告）", " (1 warning)"),
    "run.warnings": ("（{count} 条警告）", " ({count} warnings)"),
    # --- network errors, as a person reads them (the raw code stays in brackets) --------
    "net.ERR_NAME_NOT_RESOLVED": ("无法解析域名 {host}", "the name {host} could not be resolved"),
    "net.ERR_CONNECTION_REFUSED": ("{host} 拒绝连接", "{host} refused the connection"),
    "net.ERR_CONNECTION_RESET": ("与 {host} 的连接被重置", "the connection to {host} was reset"),
    "net.ERR_CONNECTION_CLOSED": ("{host} 关闭了连接", "{host} closed the connection"),
    "net.ERR_CONNECTION_TIMED_OUT": ("连接 {host} 超时", "connecting to {host} timed out"),
    "net.ERR_TIMED_OUT": ("等待 {host} 超时", "waiting for {host} timed out"),
    "net.ERR_INTERNET_DISCONNECTED": ("本机没有联网", "this computer is not connected to the internet"),
    "net.ERR_ADDRESS_UNREACHABLE": ("无法到达 {host}", "{host} cannot be reached"),
    "net.ERR_CERT_AUTHORITY_INVALID": ("{host} 的证书不是可信机构签发的", "{host}'s certificate is not from a trusted authority"),
    "net.ERR_CERT_COMMON_NAME_INVALID": ("{host} 的证书不属于这个域名", "{host}'s certificate is for another name"),
    "net.ERR_CERT_DATE_INVALID": ("{host} 的证书已过期或尚未生效", "{host}'s certificate has expired or is not yet valid"),
    "net.ERR_SSL_PROTOCOL_ERROR": ("与 {host} 的加密连接出错", "the secure connection to {host} failed"),
    "net.ERR_TOO_MANY_REDIRECTS": ("{host} 重定向次数过多", "{host} redirected too many times"),
    "net.ERR_PROXY_CONNECTION_FAILED": ("无法连接代理服务器", "the proxy server could not be reached"),
    "net.ERR_BLOCKED_BY_CLIENT": ("请求被浏览器拦截", "the browser blocked the request"),
    "net.explained": ("{sentence}（{code}）", "{sentence} ({code})"),
    # --- verify's prose (the keywords INTACT / ALTERED / INVALID never change) ----------
    "verify.fingerprint": ("指纹（manifest.json 的 SHA-256）：{fingerprint}",
                           "fingerprint (SHA-256 of manifest.json): {fingerprint}"),
    "verify.expected": ("           = 与 --expect 给出的指纹一致", "           = the fingerprint given with --expect"),
    "verify.captured": ("采集时间：{started} .. {finished}", "captured: {started} .. {finished}"),
    "verify.unfinished": ("（未完成）", "(unfinished)"),
    "verify.intact": ("INTACT：{files} 个文件与清单一致{extra}", "INTACT: {files} files match the manifest{extra}"),
    "verify.intact_interrupted": ("；这次采集被中断，证据包只有中断前完成的 {captures} 项采集",
                                  "; the run was interrupted, so the bundle holds only the {captures} "
                                  "capture(s) finished before it stopped"),
    "verify.altered": ("ALTERED：证据包在采集之后被改动过（见上面各行）",
                       "ALTERED: the bundle was changed after capture (see the lines above)"),
    "verify.invalid": ("INVALID：这不是一个格式正确的证据包（见上面各行）",
                       "INVALID: this is not a well-formed evidence bundle (see the lines above)"),
    "verify.parts_missing": ("ALTERED：{named}：请给出全部分卷（缺少的分卷里的文件无法核验）",
                             "ALTERED: {named}: give every part (the files in a missing part cannot be checked)"),
    "verify.part_missing": ("缺少第 {part}/{of} 卷（{path}）", "part {part} of {of} is missing ({path})"),
    "verify.legacy_report": ("NOTE       report.html/report.pdf 不受指纹保护（在封存之外生成）：请以采集到的文件为准，不要依赖这份报告。",
                             "NOTE       report.html/report.pdf are not covered by the fingerprint "
                             "(made outside the seal): rely on the captured files, not on that report."),
    "verify.time_proven": ("可信时间戳证明：manifest.json 及其列出的每个文件在 {time} 时已存在且未被改动。",
                           "A trusted timestamp proves that manifest.json, and so every file it lists, "
                           "existed unchanged at {time}."),
    "verify.anyone_stamps": ("任何人都可以在任何时候给证据包加时间戳：请确认这个时间就是投诉中所说的采集时间，或加上 --expect 指纹 再核验。",
                             "Anyone can timestamp a bundle at any time: check that this time is when the "
                             "complaint says the capture was made, or run with --expect FINGERPRINT."),
    "verify.quoted": ("这正是投诉中引用的那个证据包。没有可信时间戳，采集时间只依据采集电脑自己的时钟。",
                      "This is the bundle whose fingerprint was quoted. Without a trusted timestamp, "
                      "when it was made rests only on the capturing computer's clock."),
    "verify.proves_only": ("没有可信时间戳时，这只能证明文件与证据包自己的清单一致。只有上面的指纹与投诉中引用的指纹相同，"
                           "它才是投诉所说的那个证据包：请核对，或运行 evidence verify BUNDLE --expect 指纹。",
                           "Without a trusted timestamp this proves only that the files match this "
                           "bundle's own manifest. It is the bundle quoted in the complaint only if the "
                           "fingerprint above is the one quoted there: compare them, or run "
                           "evidence verify BUNDLE --expect FINGERPRINT."),
    "verify.token_trusted": ("trusted（可信）：{time}，签名者 {signer}（{detail}）",
                             "trusted: {time}, signed by {signer} ({detail})"),
    "verify.token_unproven": ("not verified（未核验）：声称时间 {time}{who}；{detail}",
                              "not verified: states {time}{who}; {detail}"),
    "verify.token_claimed": ("，声称来自“{claimed}”", ', claimed to be from "{claimed}"'),
    "verify.token_invalid": ("invalid（无效）：{detail}", "invalid: {detail}"),
    "verify.no_time": ("无时间", "no time"),
    # --- help: the group and shared options ----------------------------------------------
    "cmd.main": (
        "把网页采集成证据包：每个文件都算出哈希、可加时间戳，任何人都能核验。\n\n"
        "常用：evidence capture --order 网址 --chat 网址 -o my-complaint",
        "Capture web pages as evidence: hashed, timestamped, verifiable bundles.\n\n"
        "Typical use: evidence capture --order URL --chat URL -o my-complaint",
    ),
    "opt.browser_executable": (
        "要启动的 Chromium/Chrome/Edge（不给则依次找 $EVIDENCE_BROWSER、Playwright 自带的、"
        "本机安装的）；与 --browser-endpoint 同用时，是服务器那边要启动的路径（服务器须以 "
        "--unsafe 运行）。",
        "Chromium/Chrome/Edge to launch (else $EVIDENCE_BROWSER, Playwright's, installed); "
        "with --browser-endpoint, the path the server launches (it must run with --unsafe).",
    ),
    "opt.browser_endpoint": (
        "连接一个 Playwright 服务器（`playwright run-server`），不在本机启动浏览器 "
        "[环境变量：EVIDENCE_BROWSER_ENDPOINT]。",
        "Connect to a Playwright server (`playwright run-server`) instead of launching "
        "[env: EVIDENCE_BROWSER_ENDPOINT].",
    ),
    "opt.cdp_endpoint": (
        "连接一个用 --remote-debugging-port 启动的 Chromium（http:// 或 ws://） "
        "[环境变量：EVIDENCE_CDP_ENDPOINT]。",
        "Connect to a Chromium started with --remote-debugging-port (http:// or ws://) "
        "[env: EVIDENCE_CDP_ENDPOINT].",
    ),
    "opt.browser_header": (
        "连接需要认证的服务器时附带的请求头（不会写进证据包）。",
        "Header for an authenticated endpoint (never written into the bundle).",
    ),
    "opt.quiet": ("不显示进度，只显示结果。", "Print no progress, only the result."),
    "opt.json": ("以 JSON 格式输出结果（内容不随语言变化）。", "Print the result as JSON."),
    "opt.headed": ("显示浏览器窗口。", "Show the browser window."),
    "opt.output_new": (
        "新证据包的目录（不能是已有内容的目录）。",
        "New bundle directory (an existing non-empty one is refused).",
    ),
    "opt.report_lang": (
        "报告的语言：zh 中文，en 英文，both 中英对照。",
        "Report language: Chinese, English, or both side by side.",
    ),
    # --- help: capture -------------------------------------------------------------------
    "cmd.capture": (
        "采集网页，生成新的证据包。\n\n"
        "不带选项的网址按普通网页（page）采集。清单（manifest.json）和报告按给出的顺序"
        "列出目标。--jobs 1 时按这个顺序逐个采集；大于 1 时同时采集几个，聊天记录最先开始"
        "（最费时）。",
        "Capture pages into a new evidence bundle.\n\n"
        "Bare URLs are `page` targets. The manifest and the report list the targets in the "
        "order given. With --jobs 1 they are captured one by one in that order; with more "
        "jobs several at once, chats first (they take longest).",
    ),
    "cmd.capture.examples": (
        "示例：\n\n"
        "\b\n"
        "  把订单页、商品页和客服聊天记录采集进同一个证据包：\n"
        "  evidence capture --order https://shop.example/order/123 \\\n"
        "                   --product https://shop.example/item/9 \\\n"
        "                   --chat https://shop.example/im/123 -o my-complaint\n\n"
        "\b\n"
        "  按计划文件 plan.toml 里列出的目标采集：\n"
        "  evidence capture --plan plan.toml -o my-complaint",
        "Examples:\n\n"
        "\b\n"
        "  Order page, product page and customer-service chat in one bundle:\n"
        "  evidence capture --order https://shop.example/order/123 \\\n"
        "                   --product https://shop.example/item/9 \\\n"
        "                   --chat https://shop.example/im/123 -o my-complaint\n\n"
        "\b\n"
        "  The targets listed in a plan file:\n"
        "  evidence capture --plan plan.toml -o my-complaint",
    ),
    "opt.order": (
        "订单页（可重复；--product、--chat、--page 也都可重复）。",
        "Order page (repeatable, like --product, --chat and --page).",
    ),
    "opt.product": ("商品页。", "Product page."),
    "opt.chat": (
        "客服聊天页：加载并保存完整的聊天记录。",
        "Customer-service chat: its whole history is loaded and saved.",
    ),
    "opt.page": ("其他任何网页。", "Any other page."),
    "opt.plan": ("计划文件 plan.toml，列出要采集的目标。", "plan.toml listing the targets."),
    "opt.storage_state": (
        "Playwright 的 storage state 文件（cookie 等），以登录状态开始采集。",
        "Playwright storage-state file (cookies etc.) to start logged in.",
    ),
    "opt.profile_use": (
        "用 `evidence login` 保存的登录配置。",
        "Login profile saved by `evidence login`.",
    ),
    "opt.tsa": (
        "RFC 3161 时间戳服务器的网址（可重复：每个服务器各给一个时间戳）。",
        "RFC 3161 timestamp authority (repeatable: one token from each).",
    ),
    "opt.case_title": (
        "案件标题，显示在报告上（例如“卡密未发货”）。",
        "Case title, shown on the report (e.g. \"card code never delivered\").",
    ),
    "opt.platform": (
        "纠纷所在的平台或店铺（例如“淘宝”）。",
        "Platform or shop the dispute is with (e.g. \"Taobao\").",
    ),
    "opt.order_id": (
        "订单号，照平台上显示的填写；记入清单和报告。",
        "Order number as the platform shows it; recorded in the manifest and the report.",
    ),
    "opt.note": (
        "备注，原样记入清单和报告。",
        "A note of your own, recorded as given in the manifest and the report.",
    ),
    "opt.timeout_target": (
        "每个目标最多用多少秒（默认 60）。",
        "Seconds allowed for each target (default 60).",
    ),
    "opt.chat_selector": (
        "聊天框的 CSS 选择器（不给则自动查找）。",
        "CSS selector of the conversation box (else found automatically).",
    ),
    "opt.max_chat_scrolls": (
        "最多加载几次更早的聊天记录（默认 400）。",
        "At most this many loads of older chat history (default 400).",
    ),
    "opt.phase_log": (
        "（基准测试用）把每个阶段的耗时和 CPU 写入此 JSON 文件。",
        "(For the benchmark) write wall and CPU time per phase to this JSON file.",
    ),
    "opt.jobs": (
        "同时采集几个目标（默认按 CPU 数，最多 4）。",
        "Targets captured at once (default: the number of CPUs, at most 4).",
    ),
    "opt.no_trace": (
        "不保存 Playwright 跟踪记录 trace.zip（更快）。",
        "Skip the Playwright trace (faster).",
    ),
    "opt.no_report": (
        "不生成 report.html/report.pdf（更快）。之后可以用 `evidence report` 补一份，"
        "但那份没有封存：指纹不覆盖它。",
        "Skip report.html/report.pdf (faster). `evidence report` can render one later, "
        "but that one is not sealed: the fingerprint does not cover it.",
    ),
    "opt.device": (
        "模拟这台手机或平板（Playwright 设备名，如 \"iPhone 13\"）：屏幕、缩放、触屏和 User-Agent，"
        "用于只在手机上打开的页面。名称见 --list-devices。",
        'Be this phone or tablet (a Playwright device name, e.g. "iPhone 13"): its screen, scale, '
        "touch and user agent, for pages that open only on a phone. See --list-devices.",
    ),
    "opt.list_devices": ("列出 --device 可用的设备名后退出。", "Print the device names --device accepts, and exit."),
    "opt.headless_user_agent": (
        "保留无界面浏览器自身的 User-Agent（含 \"HeadlessChrome\"）；默认页面看到的是把它换成 \"Chrome\" "
        "的同一字符串，因为有些店铺拒绝无界面浏览器。",
        'Keep the headless browser\'s own user agent ("HeadlessChrome"); by default pages see the same '
        'string with "Chrome", as some shops refuse headless browsers.',
    ),
    "opt.resume": ("继续 -o 里没采集完的证据包。", "Continue an unfinished bundle in -o."),
    "opt.trace_screenshots": (
        "在操作追踪（trace.zip）里也保存录屏画面。默认不保存：截图已经记录了每个页面，而录屏会让证据包大好几倍。",
        "Keep screencast frames in the Playwright trace. Off by default: the screenshots already show "
        "every page, and the frames made the bundle several times larger.",
    ),
    # --- help: the other commands --------------------------------------------------------
    "cmd.verify": (
        "核验证据包目录或 .zip：INTACT（完好）、ALTERED（被改动过）或 INVALID（无效）。\n\n"
        "也可以一次给出 `evidence pack --max-mb` 分出的全部 .partK.zip，合起来当作一个证据包核验。",
        "Check a bundle directory or .zip: INTACT, ALTERED or INVALID.\n\n"
        "Also all the .partK.zip files `evidence pack --max-mb` made of it, read as one bundle.",
    ),
    "opt.expect": (
        "投诉中引用的指纹：证据包必须正是那一个。",
        "The fingerprint quoted in the complaint: the bundle must be that one.",
    ),
    "opt.tsa_ca": (
        "用来检查时间戳签名链的 CA 证书（可重复；默认用本机信任的根证书）。",
        "CA certificate to check timestamp tokens' signature chain (repeatable; "
        "default: this system's trusted roots).",
    ),
    "opt.json_verify": (
        "以 JSON 格式输出核验报告（内容不随语言变化）。",
        "Print the verification report as JSON.",
    ),
    "cmd.report": (
        "重新生成报告，作为未封存的副本。\n\n"
        "副本写在 BUNDLE/unsealed/ 下。封存的 report.html/report.pdf 永远不变；核验时新文件"
        "列为未封存。核验不通过的证据包会被拒绝。",
        "Render the report again, as an unsealed copy.\n\n"
        "The copy goes under BUNDLE/unsealed/. The sealed report.html/report.pdf never "
        "change; verify lists the new files as unsealed. A bundle that does not verify is "
        "refused.",
    ),
    "cmd.pack": (
        "把核验通过的证据包打包成 zip，或者为投诉表单准备上传文件夹。\n\n"
        "不加 --max-mb：生成 BUNDLE.zip（`evidence verify 文件.zip` 可以直接核验它）。"
        "加 --max-mb：每个文件不超过 N MB，report.pdf 排在最前，证据包分成一个或几个 zip，"
        "README.txt 说明要上传哪些文件、工作人员怎么核验。",
        "Zip a verified bundle, or make an upload folder for a complaint form.\n\n"
        "Without --max-mb: BUNDLE.zip (`evidence verify FILE.zip` checks it in place). With "
        "--max-mb: every file at most N MB, report.pdf first, the bundle as one or more zips, "
        "README.txt saying what to upload and how staff check it.",
    ),
    "opt.pack_output": (
        "不加 --max-mb 时：要写的 zip（默认是证据包旁边的 BUNDLE.zip）。加 --max-mb 时："
        "上传文件夹（默认 BUNDLE-upload/）。已有的文件绝不覆盖。",
        "Without --max-mb: the zip to write (default BUNDLE.zip next to the bundle). With "
        "--max-mb: the upload folder (default BUNDLE-upload/). Nothing is ever overwritten.",
    ),
    "opt.max_mb": (
        "生成上传文件夹，其中每个文件不超过 N MB（N × 1,000,000 字节；只写 --max-mb 就是 10）："
        "report.pdf、分成一个或几个 zip 的证据包、README.txt。",
        "Write an upload folder whose every file is at most N MB (N x 1,000,000 bytes; "
        "--max-mb alone means 10): report.pdf, the bundle as one or more zips, README.txt.",
    ),
    "cmd.stamp": (
        "给已有的证据包加可信时间戳（RFC 3161，覆盖 manifest.json）。",
        "Add trusted timestamps (RFC 3161) over manifest.json to an existing bundle.",
    ),
    "opt.tsa_stamp": (
        "RFC 3161 时间戳服务器的网址（可重复：每个服务器各给一个时间戳）。",
        "RFC 3161 authority (repeatable: one token from each).",
    ),
    "opt.timeout_tsa": (
        "每个时间戳服务器最多等多少秒。",
        "Seconds to wait for each authority.",
    ),
    "cmd.schema": (
        "输出清单（manifest.json）的 JSON Schema。",
        "Print the manifest JSON Schema.",
    ),
    "opt.schema_report": (
        "改为输出核验报告的 JSON Schema。",
        "The verification report schema.",
    ),
    "cmd.doctor": (
        "检查浏览器、中文字体、openssl 和输出目录，并说明每个问题怎么解决。\n\n"
        "evidence doctor --clean-check https://shop.example/order/1 按采集时的记录方式检查"
        "这台电脑，但不采集。",
        "Check browser, CJK fonts, openssl and output directory; say how to fix each.\n\n"
        "evidence doctor --clean-check https://shop.example/order/1 checks this machine "
        "the way a capture would record it, without capturing.",
    ),
    "opt.doctor_output": ("以后写证据包的目录。", "Where bundles will be written."),
    "opt.clean_check": (
        "同时对给出的网址做清洁性检查（hosts、代理、DNS、时钟）。",
        "Also run the clean-environment checks (hosts, proxy, DNS, clock) for URLs.",
    ),
    "cmd.demo": (
        "在内置的演示商店上把全流程走一遍：采集、生成报告、核验。",
        "Run the whole job against the built-in demo shop: capture, report, verify.",
    ),
    "opt.serve_only": (
        "只运行演示商店，并输出它的网址。",
        "Only run the demo shop and print its URL.",
    ),
    "opt.ttl": (
        "配合 --serve-only：运行这么多秒后停止。",
        "With --serve-only: stop after this many seconds.",
    ),
    "cmd.login": (
        "在浏览器里手动登录，登录状态保存为一个配置。\n\n"
        "会打开一个浏览器窗口：在里面登录好后，回到这里按回车（或关掉浏览器窗口）。"
        "配置只存在本机，只有你能读。",
        "Log in by hand in a visible browser; the session is saved as a profile.\n\n"
        "Press Enter here (or close the browser window) when you are logged in. The "
        "profile is kept privately on this computer.",
    ),
    "opt.profile_save": ("用这个名字保存登录状态。", "Save the session under this name."),
    "opt.list": ("列出已保存的登录配置。", "List saved profiles."),
    "opt.delete": ("删除一个已保存的登录配置。", "Delete a saved profile."),
    # --- what the commands say -----------------------------------------------------------
    "error.prefix": ("evidence：{line}", "evidence: {line}"),
    "error.failed": ("失败", "failed"),
    "error.target_order": (
        "无法确定目标的顺序；请在每个网址前写明 --page、--order 等选项",
        "could not tell the order of the targets; give each as --page/--order/... URL",
    ),
    "error.doctor_urls": (
        "只有加上 --clean-check 才能给网址：evidence doctor --clean-check 网址 ...",
        "URLs are only taken with --clean-check: evidence doctor --clean-check URL ...",
    ),
    "error.login_args": (
        "请给出网址和 --profile 名字（或者用 --list，或 --delete 名字）",
        "give a URL and --profile NAME (or --list, or --delete NAME)",
    ),
    "report.written": (
        "已写入 {html} 和 {pdf}：这是事后重新生成的报告，没有封存（指纹不覆盖它；封存的报告"
        "仍是 report.pdf）；指纹 {fingerprint}",
        "wrote {html} and {pdf}: a later rendering, NOT sealed (the fingerprint does not "
        "cover it; the sealed report stays report.pdf); fingerprint {fingerprint}",
    ),
    "login.none": ("还没有保存任何登录配置", "no saved login profiles"),
    "login.profile_line": ("{name:<20} 保存于 {saved}  {sites}", "{name:<20} saved {saved}  {sites}"),
    "login.no_sites": ("（没有网站）", "(no sites)"),
    "login.deleted": ("已删除 {path}", "deleted {path}"),
    "login.opening": (
        "浏览器窗口会打开 {url}。请在那里登录，然后回到这里按回车（或关掉浏览器窗口）。",
        "A browser window opens at {url}. Log in there, then press Enter here "
        "(or close the window).",
    ),
    "login.saved": (
        "已保存登录配置 {profile!r}（{path}）；采集时这样用：evidence capture --profile {profile} ...",
        "saved login profile {profile!r} ({path}); use it with: "
        "evidence capture --profile {profile} ...",
    ),
    "doctor.mark.ok": ("正常", "OK     "),
    "doctor.mark.warning": ("注意", "WARNING"),
    "doctor.mark.problem": ("问题", "PROBLEM"),
    "doctor.fix": ("     解决办法：{fix}", "        fix: {fix}"),
    "demo.verified": (
        "核验结果：{verdict}（检查了 {files} 个文件）",
        "Verified: {verdict} ({files} files checked)",
    ),
    # --- URLs a person typed (capture/urls.py) -------------------------------------------
    "url.what": ("网址", "URL"),
    "url.invalid": ("{what} {url!r} 写得不对，无法识别", "{what} is not a valid URL: {url!r}"),
    "url.no_scheme": (
        "{what} {url!r} 前面缺少 http:// 或 https://；您是不是想输入 https://{suggestion} ？",
        "{what} has no http:// or https:// in front: {url!r}; "
        "did you mean https://{suggestion} ?",
    ),
    "url.file": (
        "{what} {url!r} 是这台电脑上的文件：证据必须来自网站本身，请改用该网页的 http(s) 网址",
        "{what} is a file on this computer ({url!r}): evidence must come from the "
        "website itself, so open the page's http(s) address instead",
    ),
    "url.no_host": ("{what} {url!r} 缺少主机名（域名）", "{what} has no host name: {url!r}"),
    "url.scheme": (
        "{what} {url!r} 必须以 http:// 或 https:// 开头（{scheme}: 地址不能当作网页采集）",
        "{what} must start with http:// or https:// (a {scheme}: address cannot be "
        "captured as a web page): {url!r}",
    ),
    # --- a plan file (capture/plan.py); the detail (key, line, pydantic's words) stays --
    "plan.unreadable": ("无法读取计划文件 {path}：{reason}", "cannot read plan {path}: {reason}"),
    "plan.not_utf8": ("{path}：计划文件不是 UTF-8 文本", "{path}: not UTF-8 text"),
    "plan.bad_toml": ("{path}：计划文件不是有效的 TOML：{detail}", "{path}: not valid TOML: {detail}"),
    "plan.line": ("{path}：{problem}", "{path}: {problem}"),
    "plan.in_target": ("{where}，{problem}", "{where}, {problem}"),
    "plan.target": ("第 {number} 个目标", "target {number}"),
    "plan.target_url": ("第 {number} 个目标（{url}）", "target {number} ({url})"),
    "plan.key": ("键 '{key}'：{message}", "key '{key}': {message}"),
    "plan.top_level": ("（顶层）", "(top level)"),
    "plan.unknown_key": ("无法识别的键", "unknown key"),
    "plan.missing_key": ("缺少必填的键", "required key is missing"),
    "plan.bad_url": ("{source}：第 {number} 个目标，键 'url'：{error}", "{source}: target {number}, key 'url': {error}"),
    "plan.duplicate": ("{source}：第 {number} 个目标，键 'url'：重复的目标 {url}",
                       "{source}: target {number}, key 'url': duplicate target {url}"),
    "plan.source.cli": ("命令行", "command line"),
    "plan.source.targets": ("目标列表", "targets"),
    # --- capture's options (capture/options.py, bundle.py, browserpool.py, login.py) -----
    "options.nothing": ("没有要采集的内容：请给出网址、--order/--product/--chat/--page，或 --plan",
                        "nothing to capture: give URLs, --order/--product/--chat/--page, or --plan"),
    "options.profile_and_state": ("--profile 和 --storage-state 只能给一个",
                                  "give either --profile or --storage-state, not both"),
    "options.no_profile": ("没有名为 {profile!r} 的登录配置；请先这样创建：evidence login 网址 --profile {profile}",
                           "no login profile named {profile!r}; create it with: "
                           "evidence login URL --profile {profile}"),
    "options.state_unreadable": ("无法读取 storage state 文件 {path}：{reason}",
                                 "cannot read storage state {path}: {reason}"),
    "options.state_not_json": ("{path} 不是 Playwright 的 storage state JSON 文件",
                               "{path} is not a Playwright storage-state JSON file"),
    "bundle.not_dir": ("{root} 已存在，但不是目录；请换一个 -o", "{root} exists and is not a directory; choose another -o"),
    "bundle.not_empty": ("{root} 不是空目录；已有的证据绝不会被覆盖（请换一个新的 -o，或用 --resume 继续未完成的证据包）",
                         "{root} is not empty; earlier evidence is never overwritten "
                         "(choose a new -o, or --resume an unfinished bundle)"),
    "bundle.cannot_create": ("无法创建 {root}：{reason}", "cannot create {root}: {reason}"),
    "device.unknown": ("--device：没有名为 {name!r} 的设备；{hint}用 `evidence capture --list-devices` 可以列出全部设备名",
                       "--device: no device named {name!r};{hint} `evidence capture --list-devices` lists them"),
    "device.did_you_mean": ("您是不是想用 {names}？", " did you mean {names}?"),
    "device.or": (" 或 ", " or "),
    "pool.relaunch": ("  浏览器停止了；{action}，然后继续", "  the browser stopped; {action} and going on"),
    "pool.reconnect": ("重新连接一次", "reconnecting once"),
    "pool.restart": ("启动一个新的浏览器", "starting a new one"),
    "pool.gone": ("  浏览器不可用了：{error}", "  no browser any more: {error}"),
    "login.bad_name": ("登录配置名 {name!r} 不可用：只能用字母、数字、'.'、'_' 或 '-'（最多 64 个字符）",
                       "profile name {name!r}: use letters, digits, '.', '_' or '-' (at most 64 characters)"),
    "login.no_profile": ("没有名为 {name!r} 的登录配置（查看已保存的配置：evidence login --list）",
                         "no login profile named {name!r} (see: evidence login --list)"),
    # --- the browser options (capture/browser.py) --------------------------------------
    "browser.not_executable": ("找不到浏览器程序，或它不能运行：{path}（{what}）",
                               "browser executable not found or not executable: {path} ({what})"),
    "browser.none_found": ("没有找到 Chromium、Chrome 或 Edge；请运行 README 里的安装命令，或用 --browser-executable 路径 指定",
                           "no Chromium, Chrome or Edge found; run the README's set-up command, "
                           "or pass --browser-executable PATH"),
    "browser.endpoint_url": ("{option} 必须是 {example} 这样的网址（{schemes}），现在是 {given!r}",
                             "{option} must be a URL like {example} ({schemes}), got {given!r}"),
    "browser.header_form": ("--browser-header 必须写成 'Name: value' 的样子（例如 'Authorization: Bearer …'）",
                            "--browser-header must look like 'Name: value' (e.g. 'Authorization: Bearer …')"),
    "browser.two_endpoints": ("--browser-endpoint（Playwright 服务器）和 --cdp-endpoint（DevTools）只能给一个"
                              "（也请检查 EVIDENCE_BROWSER_ENDPOINT / EVIDENCE_CDP_ENDPOINT）",
                              "give either --browser-endpoint (Playwright server) or --cdp-endpoint "
                              "(DevTools), not both (also check EVIDENCE_BROWSER_ENDPOINT / EVIDENCE_CDP_ENDPOINT)"),
    "browser.executable_and_cdp": ("--browser-executable 会启动一个浏览器，--cdp-endpoint 则连接一个已在运行的浏览器：请只给其中一个",
                                   "--browser-executable starts a browser; --cdp-endpoint connects to one "
                                   "already running: give one of them"),
    "browser.header_alone": ("--browser-header 只会发给 --browser-endpoint 或 --cdp-endpoint",
                             "--browser-header is only sent to a --browser-endpoint or --cdp-endpoint"),
    # --- paths, shared by pack and doctor ----------------------------------------------
    "path.not_a_dir": ("{path} 不是目录", "{path} is not a directory"),
    "path.cannot_write": ("无法在 {path} 中写入：{reason}", "cannot write in {path}: {reason}"),
    # --- evidence pack (capture/pack.py) ------------------------------------------------
    "pack.symlink": ("证据包里的 {rel} 是符号链接；拒绝打包", "{rel} in the bundle is a symbolic link; refusing to pack it"),
    "pack.not_regular": ("证据包里的 {rel} 不是普通文件；拒绝打包",
                         "{rel} in the bundle is not a regular file; refusing to pack it"),
    "pack.already_zip": ("{root} 已经是 zip 文件", "{root} is already a zip"),
    "pack.not_bundle": ("{root} 不是证据包目录（里面没有 {manifest}）",
                        "{root} is not an evidence bundle directory (no {manifest} in it)"),
    "pack.exists": ("{out} 已存在；请换一个 -o（已有的文件绝不覆盖）",
                    "{out} already exists; choose another -o (nothing is overwritten)"),
    "pack.zip_inside": ("{out} 在证据包里面；请把 zip 写到别处", "{out} is inside the bundle; write the zip somewhere else"),
    "pack.folder_not_empty": ("{out} 已存在且不是空的；请换一个 -o（已有的文件绝不覆盖）",
                              "{out} already exists and is not empty; choose another -o (nothing is overwritten)"),
    "pack.folder_inside": ("{out} 在证据包里面；请把上传文件夹放到别处",
                           "{out} is inside the bundle; write the upload folder somewhere else"),
    "pack.min_mb": ("--max-mb 至少要 {min:g}（分卷 zip 需要空间）", "--max-mb must be at least {min:g} (the zip parts need room)"),
    "pack.write_failed": ("无法写入上传文件夹 {out}（{reason}）；什么也没有写入",
                          "could not write the upload folder {out} ({reason}); nothing was written"),
    "pack.too_many_parts": ("证据包需要分成 {count} 卷、每卷最多 {mb:g} MB（最多只能 {most} 卷）；请给更大的 --max-mb",
                            "the bundle would need {count} parts of at most {mb:g} MB "
                            "(at most {most}); give a larger --max-mb"),
    "pack.cannot_fit": ("无法让每个分卷 zip 都不超过限制；请给更大的 --max-mb",
                        "could not fit the zip parts under the limit; give a larger --max-mb"),
    "pack.self_check": ("打包出的 zip 没有通过核验（{verdict}：{problem}）；什么也没有写入",
                        "the packed zips did not verify ({verdict}: {problem}); nothing written"),
    "pack.wrote_zip": ("已写入 {path}（{size:,} 字节）；指纹 {fingerprint}",
                       "wrote {path} ({size:,} bytes); fingerprint {fingerprint}"),
    "pack.size_hint": ("如果投诉表单限制每个文件的大小：evidence pack {bundle} --max-mb 10",
                       "For a complaint form with a size limit per file: evidence pack {bundle} --max-mb 10"),
    "pack.wrote_folder": ("已写入 {folder}：每个文件最多 {mb:g} MB（{limit:,} 字节）{extra}",
                          "wrote {folder}: every file at most {mb:g} MB ({limit:,} bytes){extra}"),
    "pack.except_noted": ("，下面注明的除外", ", except as noted below"),
    "pack.file_line": ("  {name:<32} {size:>12,} 字节{flag}", "  {name:<32} {size:>12,} bytes{flag}"),
    "pack.over_limit": ("  超出限制", "  OVER THE LIMIT"),
    "pack.upload_first": ("先上传 {reports}，再上传每个 zip；README.txt 说明了每个文件是什么。",
                          "Upload {reports} first, then every zip; README.txt says what each file is."),
    "pack.upload_zips": ("上传每个 zip；README.txt 说明了每个文件是什么。",
                         "Upload every zip; README.txt says what each file is."),
    "pack.staff": ("工作人员这样核验：{command}", "Staff check it with: {command}"),
    "pack.note_over": ("注意：{name} 有 {size:,} 字节，超过 {limit:,} 字节的限制：它只含 {held}，这个文件本身就超过限制。"
                       "请上传到接受大文件的地方，或按要求另行提供；它是证据包的一部分，核验需要它。",
                       "NOTE: {name} is {size:,} bytes, over the {limit:,}-byte limit: it holds only "
                       "{held}, which is larger than the limit by itself. Upload it where large files "
                       "are accepted, or send it on request; it is part of the bundle and verify needs it."),
    "pack.note_no_report": ("注意：证据包里没有 report.pdf（采集时用了 --no-report）；证据在各个 zip 里。",
                            "NOTE: the bundle has no report.pdf (captured with --no-report); "
                            "the zips hold the evidence."),
    "pack.note_page_over": ("注意：{name} 有 {size:,} 字节，超过限制：报告中有一页本身就超过限制。",
                            "NOTE: {name} is {size:,} bytes, over the limit: one page of the "
                            "report is larger than the limit by itself."),
    # --- a bundle that does not verify is not added to (capture/verify.py) -------------
    "refuse.line": ("{root} 的核验结果是 {verdict}；拒绝{doing}（详见 `evidence verify {root}`）",
                    "{root} is {verdict}; refusing to {doing} (see `evidence verify {root}`)"),
    "refuse.pack": ("打包", "pack it"),
    "refuse.stamp": ("加时间戳", "timestamp it"),
    "refuse.resume": ("继续采集", "resume it"),
    "refuse.report": ("重新生成报告（那样会掩盖核验发现的问题）", "render its report, which would hide that"),
    "verify.bad_expect": ("--expect 要给证据包的指纹：64 个十六进制字符（`evidence capture` 输出的那个）",
                          "--expect takes the bundle's fingerprint: 64 hexadecimal characters "
                          "(as printed by `evidence capture`)"),
    # --- evidence stamp (capture/timestamp.py); the TSA's own answer stays as given ----
    "stamp.trusted": ("可信时间戳 {path}：{time}，来自时间戳服务 {authority}（序列号 {serial}，签名者 {signer}）",
                      "trusted timestamp {path}: {time} from {authority} (serial {serial}, signer {signer})"),
    "stamp.warning": ("警告：{warning}", "warning: {warning}"),
    "stamp.no_token": ("时间戳服务 {url} 没有给出可信时间戳：{reason}；稍后可以这样重试：evidence stamp BUNDLE --tsa {url}",
                       "no trusted timestamp from {url}: {reason}; retry later with: evidence stamp BUNDLE --tsa {url}"),
    "stamp.ca_too_large": ("--tsa-ca {path}：文件超过 {most} 字节", "--tsa-ca {path}: larger than {most} bytes"),
    "stamp.ca_unreadable": ("--tsa-ca {path}：无法读取（{reason}）", "--tsa-ca {path}: cannot read ({reason})"),
    "stamp.ca_not_cert": ("--tsa-ca {path}：不是证书（PEM 或 DER）", "--tsa-ca {path}: not a certificate (PEM or DER)"),
    "stamp.is_zip": ("{root} 是 zip 文件；请给证据包目录加时间戳，然后重新打包",
                     "{root} is a zip; stamp the bundle directory, then pack it again"),
    "stamp.not_dir": ("{root} 不是证据包目录", "{root} is not a bundle directory"),
    "stamp.not_bundle": ("{root} 不是证据包（里面没有 {manifest}）", "{root} is not an evidence bundle (no {manifest})"),
    "stamp.manifest_too_large": ("{path} 超过 {most} 字节：不是本工具写的清单",
                                 "{path} is larger than {most} bytes: not one we wrote"),
    "stamp.bad_manifest": ("{path} 不是有效的证据包清单；请运行：evidence verify {root}",
                           "{path} is not a valid evidence manifest; run: evidence verify {root}"),
    # --- evidence doctor's details and fixes (check names and ok/warning/problem stay) --
    "doctor.setup_fix": ("运行 README 里的安装命令，或者：apt-get install chromium fonts-noto-cjk",
                         "run the README set-up command, or: apt-get install chromium fonts-noto-cjk"),
    "doctor.glyphs_missing": ("{missing}/{total} 个测试字符（{shown}）显示成了空框",
                              "{missing} of {total} test characters ({shown}) drawn as empty boxes"),
    "doctor.glyphs_same": ("不同的字符 {chars} 显示成了同一个形状（替代字形）",
                           "distinct characters {chars} drawn with identical shapes (a fallback glyph)"),
    "doctor.glyphs_ok": ("{count} 个测试字符（{chars}）都显示成了各自的字形",
                         "{count} test characters ({chars}) drawn as distinct glyphs"),
    "doctor.font_used": ("；字体：{font}", "; font: {font}"),
    "doctor.no_fc_list": ("未检查：没有可用的浏览器，也没有 fc-list", "not checked: no working browser and no fc-list"),
    "doctor.fc_list_failed": ("未检查：fc-list 运行失败（{error}）", "not checked: fc-list failed ({error})"),
    "doctor.fonts_installed": ("已安装（据 fontconfig；浏览器不可用）：{families}",
                               "installed (fontconfig, browser not available): {families}"),
    "doctor.no_cjk_font": ("fontconfig 没有列出任何含中文字符的字体", "fontconfig lists no font with Chinese characters"),
    "doctor.openssl_fix": ("apt-get install openssl（macOS：brew install openssl；Windows：Git for Windows 自带）",
                           "apt-get install openssl (macOS: brew install openssl; Windows: Git for Windows ships it)"),
    "doctor.openssl_missing": ("PATH 里找不到 openssl（可信时间戳需要它）",
                               "openssl not found on PATH (needed for trusted timestamps)"),
    "doctor.did_not_run": ("{path} 无法运行：{error}", "{path} did not run: {error}"),
    "doctor.version_failed": ("`{path} version` 运行失败", "`{path} version` failed"),
    "doctor.output_fix": ("用 -o DIR 换一个可写的位置，或修改 {path} 的权限",
                          "choose a writable place with -o DIR, or fix permissions of {path}"),
    "doctor.writable": ("{path} 可写", "{path} writable"),
    "doctor.creatable": ("{path} 可以创建（在 {parent} 中）", "{path} can be created (in {parent})"),
    "doctor.fix.hosts file": ("从 hosts 文件里删掉这几行，或换一台电脑采集",
                              "remove those lines from the hosts file, or capture on another machine"),
    "doctor.fix.proxy environment variables": ("采集前取消这些变量，除非确实要用这个代理",
                                               "unset them before capturing unless the proxy is wanted"),
    "doctor.fix.system proxy": ("采集前关闭系统代理，除非确实要用它",
                                "turn the system proxy off before capturing unless it is wanted"),
    "doctor.fix.clock": ("把本机时钟设为自动同步（NTP）；如果本机时间没错，就是服务器的时间不对",
                         "set this clock automatically (NTP); if it is right, the server's is off"),
    "doctor.fix.name resolution": ("检查 DNS 和代理设置；CDN 也可能造成这种情况",
                                   "check DNS and proxy settings; a CDN can also explain this"),
    "doctor.fix.reachability": ("检查网址，并确认这台电脑能用浏览器打开它",
                                "check the URL, and that this machine can open it in a browser"),
    "doctor.fix.browser": ("使用本机的浏览器，这样这些检查描述的才是加载页面的那台电脑",
                           "use a local browser, so these checks describe the machine loading the pages"),
    "doctor.endpoint_fix": ("检查端点网址，并确认服务器正在运行", "check the endpoint URL and that the server runs"),
    "doctor.connected": ("已连接到 {version}", "connected to {version}"),
    "doctor.started": ("已启动 {version}", "started {version}"),
    "doctor.no_test_page": ("无法渲染测试页面：{error}", "could not render a test page: {error}"),
    "doctor.no_response": ("{url}：没有响应", "{url}: no response"),
    "doctor.not_a_browser": ("{path}（{source}）对 --version 的回应不像浏览器",
                             "{path} ({source}) does not answer --version like a browser"),
    "doctor.point_at_chromium": ("把 EVIDENCE_BROWSER / --browser-executable 指向 Chromium，或者{setup}",
                                 "point EVIDENCE_BROWSER / --browser-executable at Chromium, or {setup}"),
    "doctor.clean_urls": ("--clean-check 需要 http(s) 网址，现在是 {url!r}", "--clean-check needs http(s) URLs, got {url!r}"),
    "doctor.no_browser": ("没有可用的浏览器：连接和时钟未检查", "no working browser: connection and clock not checked"),
    # --- Click's own parse errors, matched by pattern (capture/clickerrors.py) ---------
    "click.error": ("错误：{message}", "Error: {message}"),
    "click.try_help": ("运行 '{command} {option}' 查看帮助。", "Try '{command} {option}' for help."),
    "click.no_such_option": ("没有 {name} 这个选项。", "No such option {name}."),
    "click.no_such_command": ("没有 {name} 这个命令。", "No such command {name}."),
    "click.did_you_mean": ("您是不是想用 {names}？", "Did you mean {names}?"),
    "click.did_you_mean_one_of": ("（您是不是想用其中之一：{names}？）", "(Did you mean one of: {names}?)"),
    "click.missing_argument": ("缺少参数 {name}。", "Missing argument {name}."),
    "click.missing_option": ("缺少选项 {name}。", "Missing option {name}."),
    "click.missing_parameter": ("缺少参数 {name}。", "Missing parameter {name}."),
    "click.missing_command": ("缺少命令。", "Missing command."),
    "click.invalid_value_for": ("{name} 的值无效：{reason}", "Invalid value for {name}: {reason}"),
    "click.invalid_value": ("值无效：{reason}", "Invalid value: {reason}"),
    "click.extra_arguments": ("多出了参数（{args}）", "Got unexpected extra arguments ({args})"),
    "click.requires_argument": ("选项 {name} 后面需要一个值。", "Option {name} requires an argument."),
    "click.takes_no_value": ("选项 {name} 不接受值。", "Option {name} does not take a value."),
    "click.not_a_number": ("{value} 不是有效的{kind}。", "{value} is not a valid {kind}."),
    "click.number.integer": ("整数", "integer"),
    "click.number.integer range": ("整数", "integer range"),
    "click.number.float": ("数字", "float"),
    "click.number.float range": ("数字", "float range"),
    "click.out_of_range": ("{value} 不在范围 {range} 之内。", "{value} is not in the range {range}."),
    "click.not_a_choice": ("{value} 不是可选值之一：{choices}。", "{value} is not one of {choices}."),
    "click.path_missing": ("{kind} {path} 不存在。", "{kind} {path} does not exist."),
    "click.path.file": ("文件", "File"),
    "click.path.directory": ("目录", "Directory"),
    "click.path.path": ("路径", "Path"),
}


def language(environ: Mapping[str, str] = os.environ, platform: str = sys.platform) -> str:
    """"zh" or "en": EVIDENCE_LANG, else the first locale variable set, else Windows' UI."""
    chosen = environ.get("EVIDENCE_LANG", "").strip().lower()
    for lang in LANGUAGES:
        if chosen.startswith(lang):
            return lang
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name)
        if value:
            return "zh" if value.strip().lower().startswith("zh") else "en"
    if platform == "win32":
        return _windows_ui_language()
    return "en"


def _windows_ui_language() -> str:
    # Windows consoles rarely set LANG; the display language is what the person reads.
    try:
        import ctypes

        langid = ctypes.windll.kernel32.GetUserDefaultUILanguage()  # type: ignore[attr-defined]
    except (ImportError, AttributeError, OSError):
        return "en"
    return "zh" if langid & 0x3FF == 0x04 else "en"  # LANG_CHINESE, any region


def t(message_id: str, /, **values) -> str:
    """The message in the current language; an unknown id is a bug (KeyError)."""
    zh, en = MESSAGES[message_id]
    return (zh if language() == "zh" else en).format(**values)


_NET_CODE = re.compile(r"net::(ERR_[A-Z_]+)")
_URL_HOST = re.compile(r"\b(?:https?|wss?)://([^/\s:?#]+)")


def explain_network_error(text: str, environ: Mapping[str, str] | None = None) -> str:
    """A Chromium network error as a plain sentence in the reader's language, the raw
    code kept in brackets: "无法解析域名 shop.example (net::ERR_NAME_NOT_RESOLVED)".
    Text without a known code comes back unchanged."""
    found = _NET_CODE.search(text or "")
    if not found or f"net.{found.group(1)}" not in MESSAGES:
        return text
    host_found = _URL_HOST.search(text)
    host = host_found.group(1) if host_found else "?"
    index = 0 if language(environ if environ is not None else os.environ) == "zh" else 1
    sentence = MESSAGES[f"net.{found.group(1)}"][index].format(host=host)
    return MESSAGES["net.explained"][index].format(sentence=sentence, code=found.group(0))
