"""Deterministic Chinese names, phones, ID numbers and plates for demo data."""

from __future__ import annotations

import random
from datetime import date, timedelta

from anju.registry.schemas import id_check_digit

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华慧巧美淑惠珠翠雅芝玉萍红娥玲芬燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽秀飞浩然宇轩子涵博文俊豪"
LOCAL_REGIONS = ("110105", "110108", "110106")  # Beijing districts: registered population
OTHER_REGIONS = ("130102", "370202", "410105", "420106", "510107", "620902", "340104", "230103")
PLATE_PREFIX = "京"
PLATE_LETTERS = "ABCEFGHJKLMNPQ"
PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


class Faker:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self._phones: set[str] = set()
        self._ids: set[str] = set()
        self._plates: set[str] = set()

    def name(self, surname: str | None = None) -> str:
        s = surname or self.r.choice(SURNAMES)
        n = self.r.choice((1, 2, 2))
        return s + "".join(self.r.choice(GIVEN) for _ in range(n))

    def phone(self) -> str:
        while True:
            p = (
                self.r.choice(("13", "15", "17", "18", "19"))
                + str(self.r.randint(0, 9))
                + f"{self.r.randint(0, 99_999_999):08d}"
            )
            if p not in self._phones:
                self._phones.add(p)
                return p

    def birth_date(self, age_min: int, age_max: int, today: date) -> date:
        days = self.r.randint(age_min * 365, age_max * 365 + 364)
        return today - timedelta(days=days)

    def id_number(self, birth: date, female: bool, local: bool) -> str:
        while True:
            region = self.r.choice(LOCAL_REGIONS if local else OTHER_REGIONS)
            seq = self.r.randint(0, 99) * 10 + self.r.choice((0, 2, 4, 6, 8) if female else (1, 3, 5, 7, 9))
            first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
            idn = first17 + id_check_digit(first17)
            if idn not in self._ids:
                self._ids.add(idn)
                return idn

    def plate(self, new_energy: bool) -> str:
        while True:
            letter = self.r.choice(PLATE_LETTERS)
            if new_energy:
                body = self.r.choice("DF") + "".join(self.r.choice("0123456789") for _ in range(5))
            else:
                body = "".join(self.r.choice(PLATE_CHARS) for _ in range(5))
            p = PLATE_PREFIX + letter + body
            if p not in self._plates:
                self._plates.add(p)
                return p
