from django.db import migrations

CATEGORIES = [
    ("group_instability", "涉稳群体性苗头"),
    ("extreme_individual", "个人极端倾向"),
    ("mental_illness", "严重精神障碍肇事肇祸风险"),
    ("abnormal_petition", "非正常上访"),
    ("dispute_escalation", "矛盾纠纷激化"),
    ("mass_financial", "涉众型经济/金融风险"),
    ("telecom_fraud", "电信网络诈骗高发"),
    ("work_safety", "安全生产"),
    ("fire", "消防"),
    ("road_traffic", "道路交通"),
    ("campus", "校园及周边"),
    ("key_persons", "重点人员漏管失控"),
    ("online_opinion", "网络舆情"),
    ("public_health", "公共卫生"),
    ("other", "其他"),
]


def seed(apps, schema_editor):
    RiskCategory = apps.get_model("risks", "RiskCategory")
    for order, (code, name) in enumerate(CATEGORIES):
        RiskCategory.objects.get_or_create(code=code, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("risks", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
