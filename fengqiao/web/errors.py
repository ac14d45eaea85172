"""Error pages in the user's language, never a stack trace."""

from django.shortcuts import render
from django.utils.translation import gettext as _


def _page(request, status, title, message):
    return render(request, "web/error.html", {"title": title, "message": message}, status=status)


def bad_request(request, exception=None):
    return _page(request, 400, _("请求有误"), _("提交的内容无法处理，请检查后重试。"))


def forbidden(request, exception=None):
    return _page(request, 403, _("没有权限"), _("您没有执行此操作的权限。"))


def not_found(request, exception=None):
    return _page(request, 404, _("页面不存在"), _("您访问的内容不存在，或不在您的辖区内。"))


def server_error(request):
    return _page(
        request, 500, _("系统繁忙"), _("处理时出现问题，已记录，请稍后再试。已保存的内容不会丢失。")
    )
