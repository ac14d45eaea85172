from django.db import migrations

TYPES = [
    ("marriage_family", "婚姻家庭纠纷"),
    ("neighbour", "邻里纠纷"),
    ("housing_land", "房屋宅基地纠纷"),
    ("contract", "合同纠纷"),
    ("business", "生产经营纠纷"),
    ("damages", "损害赔偿纠纷"),
    ("forest_land", "山林土地纠纷"),
    ("expropriation", "征地拆迁纠纷"),
    ("environment", "环境污染纠纷"),
    ("labour", "劳动争议纠纷"),
    ("consumer", "消费纠纷"),
    ("medical", "医疗纠纷"),
    ("traffic", "道路交通事故纠纷"),
    ("property_management", "物业纠纷"),
    ("other", "其他纠纷"),
]


def seed(apps, schema_editor):
    DisputeType = apps.get_model("disputes", "DisputeType")
    for order, (code, name) in enumerate(TYPES):
        DisputeType.objects.get_or_create(code=code, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("disputes", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
