from django import forms
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    # Declared with its limits so an oversized username fails validation before it ever reaches
    # authenticate() and the lockout records (AuthenticationForm only sets the widget's limit).
    username = UsernameField(max_length=150, widget=forms.TextInput(attrs={"autofocus": True}))
    password = forms.CharField(max_length=256, strip=False, widget=forms.PasswordInput)

    error_messages = {
        "invalid_login": _("用户名或密码不正确。连续失败多次将锁定账户。"),
        "inactive": _("该账户已停用。"),
    }


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=_("动态验证码"),
        regex=r"^\d{6}$",
        error_messages={"invalid": _("请输入6位数字验证码")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("查看原因"), min_length=4, max_length=200)
