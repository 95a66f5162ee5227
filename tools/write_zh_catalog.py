"""Write ``src/eonode/portal/locale/zh/LC_MESSAGES/messages.po`` from the table below.

The table is the source of the Chinese texts; ``tests/unit/test_i18n.py`` fails when a template or
a portal message has no entry here. Run: ``python tools/write_zh_catalog.py`` (needs babel).
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

OUT = Path(__file__).resolve().parents[1] / "src/eonode/portal/locale/zh/LC_MESSAGES/messages.po"

ZH = {
    # pages and forms
    "Log in": "登录",
    "Log out": "退出",
    "Register": "注册",
    "Language": "语言",
    "Account name or e-mail": "账号或电子邮箱",
    "Password": "密码",
    "Forgot your password?": "忘记密码？",
    "Verify your e-mail": "验证电子邮箱",
    "Account name": "账号",
    "E-mail": "电子邮箱",
    "Send code": "发送验证码",
    "Send a new code": "重新发送验证码",
    "Verification code": "验证码",
    "Repeat the password": "确认密码",
    "Organisation (optional)": "单位（选填）",
    "Country code (optional, e.g. CN)": "国家代码（选填，如 CN）",
    "Verify": "验证",
    "Reset your password": "重置密码",
    "New password": "新密码",
    "Repeat the new password": "确认新密码",
    "Set the new password": "设置新密码",
    "My account": "个人中心",
    "This account has a one-time password: set your own below before anything else.": "此账号使用的是一次性密码：请先在下方设置您自己的密码。",
    "Account": "账号",
    "Role": "角色",
    "Organisation": "单位",
    "Country": "国家",
    "Change password": "修改密码",
    "Current password": "当前密码",
    "API keys": "API 密钥",
    "Your new key (shown only now):": "您的新密钥（仅此一次显示）：",
    "Name": "名称",
    "Key": "密钥",
    "Created": "创建时间",
    "Last used": "最近使用",
    "revoked": "已吊销",
    "Revoke": "吊销",
    "No keys yet.": "暂无密钥。",
    "Name of a new key": "新密钥名称",
    "Create key": "创建密钥",
    "Quota": "配额",
    "Limit": "限额项",
    "Used": "已用",
    "Allowed": "上限",
    "Resets": "重置时间",
    "Downloads": "下载记录",
    "Started": "开始时间",
    "Product": "产品",
    "Asset": "文件",
    "Bytes": "字节数",
    "Status": "状态",
    "No downloads yet.": "暂无下载记录。",
    # values shown in pages
    "bytes per day": "每日下载量",
    "concurrent downloads": "同时下载数",
    "requests per minute": "每分钟请求数",
    "unlimited": "不限",
    "user": "普通用户",
    "operator": "运维人员",
    "admin": "管理员",
    "node": "节点",
    "active": "进行中",
    "done": "完成",
    "aborted": "中断",
    # notices
    "A code was sent to %(email)s; it is valid for %(minutes)s minutes.": "验证码已发送至 %(email)s，%(minutes)s 分钟内有效。",
    "A code was sent to %(email)s; enter it to activate the account.": "验证码已发送至 %(email)s，请输入验证码以激活账号。",
    "Your account is ready: log in.": "账号已创建，请登录。",
    "A new code was sent to %(email)s.": "新的验证码已发送至 %(email)s。",
    "Your e-mail is verified: log in.": "电子邮箱已验证，请登录。",
    "If %(email)s belongs to an account, a code was sent to it.": "如果 %(email)s 属于某个账号，验证码已发送至该邮箱。",
    "Your password is changed: log in.": "密码已修改，请登录。",
    "Password changed: log in again.": "密码已修改，请重新登录。",
    "Key created: copy it now, it is not shown again.": "密钥已创建：请立即复制，之后不再显示。",
    # errors a person meets in the account pages (their general meaning; the detail follows)
    "the account name or password is not correct": "账号或密码不正确",
    "the verification code is wrong, used or expired; ask for a new one": "验证码错误、已使用或已过期，请重新获取",
    "the password does not meet the password rules": "密码不符合要求",
    "a request parameter is not valid": "填写的内容无效",
    "an object with this id already exists": "该账号或邮箱已被注册",
    "this account is not active": "此账号未激活或已停用",
    "too many requests; try again later": "请求过于频繁，请稍后再试",
    "too many failed logins; wait before trying again": "登录失败次数过多，请稍后再试",
    "the node could not send the e-mail; try again later": "邮件发送失败，请稍后再试",
    "the form or request lacks a valid CSRF token; reload the page and try again": "表单已失效，请刷新页面后重试",
    "you are not allowed to do this": "您无权执行此操作",
    "authentication is required": "请先登录",
    "the access policy does not allow this": "访问策略不允许此操作",
    "not found": "未找到",
    "the database is unavailable": "数据库暂不可用",
    # the image data hub and product pages
    "Image data hub": "影像数据中心",
    "Sections": "栏目",
    "Area": "区域",
    "Draw rectangle": "画矩形",
    "Draw polygon": "画多边形",
    "Clear": "清除",
    "— any —": "— 不限 —",
    "Time": "时间",
    "From": "起",
    "To": "止",
    "Satellites and sensors": "卫星与传感器",
    "Cloud cover (percent)": "云量（%%）",
    "At least": "不低于",
    "At most": "不高于",
    "Include unknown cloud cover": "包括云量未知的产品",
    "Level and order": "级别与排序",
    "Processing level": "产品级别",
    "Sort": "排序",
    "Newest first": "最新优先",
    "Oldest first": "最早优先",
    "Least cloud first": "云量最少优先",
    "Per page": "每页条数",
    "Search": "查询",
    "Total %(n)s": "共 %(n)s 条",
    "cloud": "云量",
    "cloud unknown": "云量未知",
    "online": "在线",
    "offline": "离线",
    "No products match this search.": "没有符合条件的产品。",
    "Pages": "分页",
    "Previous": "上一页",
    "Next": "下一页",
    "Page %(cur)s of %(last)s": "第 %(cur)s 页，共 %(last)s 页",
    "Go to page": "跳转到第",
    "Go": "跳转",
    "Files": "文件",
    "File": "文件",
    "Type": "类型",
    "Size": "大小（字节）",
    "Checksum (sha256 multihash)": "校验值（sha256 multihash）",
    "Download": "下载",
    "Metadata": "元数据",
    "STAC item (JSON)": "STAC 条目（JSON）",
    "Drag on the map to draw a rectangle.": "在地图上拖动以画出矩形。",
    "Click to add corners; double-click to finish.": "单击添加顶点，双击完成。",
    "A polygon needs at least three corners.": "多边形至少需要三个顶点。",
}


def main() -> None:
    catalog = Catalog(locale="zh_Hans_CN", project="eonode", language_team="eonode developers", fuzzy=False)
    for msgid, text in ZH.items():
        catalog.add(msgid, text)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("wb") as f:
        write_po(f, catalog, width=120, omit_header=False, sort_output=True)
    print(f"{len(ZH)} messages -> {OUT}")


if __name__ == "__main__":
    main()
