"""The district's standard inspection form, after Weihai 怡园 sub-district's scoring sheet
(《物业服务检查考核表》): what supervisors walk and score on an inspection, with weights (basis
points of the 100) and each item's maximum points."""

from __future__ import annotations

STANDARD_CODE = "district-inspection"


def _item(item_id: str, text: str, weight: int, most: int = 10) -> dict:
    return {"id": item_id, "text": text, "max": most, "weight": weight}


STANDARD_FORM = {
    "code": STANDARD_CODE,
    "title": "物业服务检查考核表",
    "sections": [
        {
            "id": "cleaning",
            "title": "环境卫生",
            "items": [
                _item("stairwells", "楼道保洁：各单元楼道、楼梯无垃圾、无杂物堆放", 1200),
                _item("handrails", "扶手、门窗、信报箱擦拭干净，无积尘", 800),
                _item("roads", "道路、广场、地下车库清扫及时，无积水", 800),
                _item("waste", "垃圾分类收运及时，垃圾房（桶）清洁无异味", 1000),
            ],
        },
        {
            "id": "order",
            "title": "秩序维护与消防",
            "items": [
                _item("fire-lanes", "消防通道畅通，无车辆、杂物占用", 1200),
                _item("fire-equipment", "消防设施完好，灭火器在有效期内并定期检查", 800),
                _item("gate", "门岗值守，外来人员、车辆登记", 600),
                _item("ebikes", "电动自行车不进楼道、不飞线充电", 600),
            ],
        },
        {
            "id": "greening",
            "title": "绿化养护",
            "items": [
                _item("planting", "绿化修剪及时，无枯死、无毁绿种菜", 800),
            ],
        },
        {
            "id": "facilities",
            "title": "设施设备维修",
            "items": [
                _item("repairs", "公共设施维修及时（楼道灯、单元门、门禁）", 1000),
                _item("lifts", "电梯运行正常，年检合格证公示", 600),
            ],
        },
        {
            "id": "service",
            "title": "公开与服务",
            "items": [
                _item("notice-board", "公告栏：收费标准、服务内容、投诉电话公示，信息及时更新", 600),
            ],
        },
    ],
}
