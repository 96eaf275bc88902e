"""Filters run in the database (SQLite and PostgreSQL) and agree with the Python evaluation."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory.models import DeploymentManager, Resource, ResourcePool, ResourceType
from inventory.specs import DEPLOYMENT_MANAGER, RESOURCE
from netweave.o2.query import FilterTerm, filter_to_q, format_filter, matches, parse_filter
from netweave.o2.spec import ObjectSpec
from plugins.models import PluginInstance

EXTENSIONS: list[dict[str, Any]] = [
    {"cores": 8},
    {"cores": "8"},
    {"cores": 8.5, "s": "abc"},
    {"cores": None, "s": "ABC"},
    {},
    {"cores": [4, "8"], "s": "b"},
    {"cores": {"n": 8}, "x": "true"},
    {"cores": True, "x": "null"},
    {"vendor.cpu": "intel", "vendor": {"cpu": "amd"}},
    {"name": "it's, fine; ok)", "x": True},
    {"é": "ü", "0": "zero"},
    {'a"b': 1, "big": 12345678901234, "neg": -1.5},
    {"s": "", "neg": 0.1, "cores": -0},
]
DESCRIPTIONS = ["alpha", "Alpha", "beta", "", "é", "a,b", "it's"]
LOCATIONS: list[Any] = [[], ["a", "b"], ["x", 1, True], ["a"], None]


@pytest.fixture
def inventory(db: None) -> dict[str, Any]:
    """Resources and deployment managers covering the JSON shapes and strings the filters must handle."""
    plugin = PluginInstance.objects.create(name="p", category="ims", plugin_type="mock")
    base = {"plugin_instance": plugin, "content_hash": "x"}
    rtype = ResourceType.objects.create(id=uuid.uuid4(), native_id="rt", name="rt", **base)
    pool = ResourcePool.objects.create(id=uuid.uuid4(), native_id="rp", name="rp", o_cloud_id=uuid.uuid4(), **base)
    resources: list[Resource] = []
    for index, extensions in enumerate(EXTENSIONS):
        resources.append(
            Resource.objects.create(
                id=uuid.uuid4(),
                native_id=f"r{index}",
                resource_type=rtype,
                resource_pool=pool,
                parent=resources[0] if index % 3 == 1 else None,
                description=DESCRIPTIONS[index % len(DESCRIPTIONS)],
                global_asset_id=f"asset-{index}",
                extensions=extensions,
                **base,
            )
        )
    for index, locations in enumerate(LOCATIONS):
        DeploymentManager.objects.create(
            id=uuid.uuid4(),
            native_id=f"dm{index}",
            name=f"dm{index}",
            o_cloud_id=uuid.uuid4(),
            supported_locations=locations if locations is not None else [],
            capabilities={"gpu": index % 2 == 0, "ver": f"1.{index}"},
            **base,
        )
    return {"resources": resources, "pool": pool}


def _model_for(spec: ObjectSpec) -> type[Resource] | type[DeploymentManager]:
    return Resource if spec is RESOURCE else DeploymentManager


def db_ids(spec: ObjectSpec, terms: list[FilterTerm]) -> set[str]:
    model = _model_for(spec)
    return {str(pk) for pk in model.objects.filter(filter_to_q(terms, spec)).values_list("id", flat=True)}


def python_ids(spec: ObjectSpec, terms: list[FilterTerm]) -> set[str]:
    model = _model_for(spec)
    id_name = spec.fields[0].name
    objects = [spec.render(row) for row in model.objects.values(*spec.columns)]
    return {o[id_name] for o in objects if matches(terms, spec, o)}


def resource_ids(raw: str) -> set[str]:
    return db_ids(RESOURCE, parse_filter(raw))


def ext_index(ids: set[str], inventory: dict[str, Any]) -> set[int]:
    return {i for i, r in enumerate(inventory["resources"]) if str(r.id) in ids}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("(eq,extensions/cores,8)", {0, 1, 5}),  # number, string and array element
        ("(eq,extensions/cores,8.0)", {0}),  # numeric equality; the strings "8" are not "8.0"
        ("(gt,extensions/cores,5)", {0, 2}),  # the array holds 4 and the string "8"
        ("(lt,extensions/cores,5)", {5, 12}),  # array element 4; -0
        ("(eq,extensions/cores,null)", {3, 4, 8, 9, 10, 11}),
        ("(neq,extensions/cores,null)", {0, 1, 2, 5, 6, 7, 12}),
        ("(eq,extensions/cores,true)", {7}),
        ("(eq,extensions/x,true)", {6, 9}),  # JSON string "true" and JSON true
        ("(eq,extensions/x,'null')", {7}),  # the string, not JSON null
        ("(eq,extensions/@vendor.cpu,intel)", {8}),
        ("(eq,extensions/vendor/cpu,amd)", {8}),
        ("(eq,extensions/é,ü)", {10}),
        ("(eq,extensions/0,zero)", {10}),
        ('(eq,extensions/a"b,1)', {11}),
        ("(eq,extensions/name,'it''s, fine; ok)')", {9}),
        ("(gt,extensions/s,a)", {2, 5}),  # code point order: "ABC" < "a"
        ("(cont,extensions/s,B)", {3}),  # case-sensitive
        ("(ncont,extensions/s,b)", set(range(13)) - {2, 5}),
        ("(gte,extensions/big,12345678901234)", {11}),
        ("(lt,extensions/neg,0)", {11}),
        ("(eq,extensions/neg,0.1)", {12}),
        ("(in,extensions/cores,true,8.5)", {2, 7}),
        ("(nin,extensions/cores,8,null)", {2, 6, 7, 12}),
    ],
)
def test_json_paths(inventory: dict[str, Any], raw: str, expected: set[int]) -> None:
    assert ext_index(resource_ids(raw), inventory) == expected
    assert ext_index(python_ids(RESOURCE, parse_filter(raw)), inventory) == expected


@pytest.mark.django_db
def test_typed_columns(inventory: dict[str, Any]) -> None:
    root = str(inventory["resources"][0].id)
    children = {str(r.id) for i, r in enumerate(inventory["resources"]) if i % 3 == 1}
    assert resource_ids(f"(eq,parentId,{root})") == children
    assert resource_ids(f"(eq,parentId,{root.upper()})") == children
    assert len(resource_ids("(neq,parentId,null)")) == len(children)
    assert len(resource_ids(f"(neq,parentId,{root})")) == 13 - len(children)  # NULL parents are "not equal"
    assert ext_index(resource_ids("(gt,description,a)"), inventory) == {0, 2, 4, 5, 6, 7, 9, 11, 12}
    assert ext_index(resource_ids("(cont,description,lph)"), inventory) == {0, 1, 7, 8}
    assert ext_index(resource_ids("(eq,description,'')"), inventory) == {3, 10}
    assert ext_index(resource_ids("(in,description,'a,b','it''s')"), inventory) == {5, 6, 12}


@pytest.mark.django_db
def test_array_and_object_columns(inventory: dict[str, Any]) -> None:
    names = dict(DeploymentManager.objects.values_list("id", "name"))

    def dms(raw: str) -> set[str]:
        return {names[uuid.UUID(i)] for i in db_ids(DEPLOYMENT_MANAGER, parse_filter(raw))}

    assert dms("(eq,supportedLocations,a)") == {"dm1", "dm3"}
    assert dms("(neq,supportedLocations,a)") == {"dm0", "dm2", "dm4"}
    assert dms("(in,supportedLocations,x,b)") == {"dm1", "dm2"}
    assert dms("(eq,supportedLocations,1)") == {"dm2"}
    assert dms("(cont,capabilities/ver,'1.2')") == {"dm2"}
    assert dms("(eq,capabilities/gpu,true)") == {"dm0", "dm2", "dm4"}


CONSISTENCY_FILTERS = [
    "(eq,extensions/cores,8);(neq,description,alpha)",
    "(nin,extensions/s,abc,b);(eq,parentId,null)",
    "(gte,extensions/cores,8.5)",
    "(lte,extensions/s,b)",
    "(ncont,description,a,é)",
    "(in,globalAssetId,asset-1,asset-7,nope)",
    "(gt,globalAssetId,asset-3)",
    "(neq,extensions/vendor,null)",
    "(eq,extensions,null)",
    "(cont,extensions/name,'; ')",
    "(neq,extensions/x,true)",
]


@pytest.mark.django_db
@pytest.mark.parametrize("raw", CONSISTENCY_FILTERS)
def test_database_agrees_with_python(inventory: dict[str, Any], raw: str) -> None:
    terms = parse_filter(raw)
    assert db_ids(RESOURCE, terms) == python_ids(RESOURCE, terms)


ATTRIBUTES = [
    ("description",),
    ("globalAssetId",),
    ("parentId",),
    ("extensions", "cores"),
    ("extensions", "s"),
    ("extensions", "x"),
    ("extensions", "vendor.cpu"),
    ("extensions", "vendor", "cpu"),
    ("extensions", "vendor"),
    ("extensions", "missing"),
    ("extensions", "é"),
    ("extensions", "neg"),
    ("extensions", "big"),
    ("extensions",),
]
VALUES = ["8", "8.0", "8.5", "-1.5", "0.1", "0", "true", "false", "abc", "ABC", "b", "a", "", "intel", "é", "ü"]
VALUES += ["12345678901234", "alpha", "asset-3", "it's, fine; ok)", "null", "1e1", "-0"]


@st.composite
def resource_terms(draw: st.DrawFn) -> FilterTerm:
    op = draw(st.sampled_from(["eq", "neq", "gt", "gte", "lt", "lte", "in", "nin", "cont", "ncont"]))
    path = draw(st.sampled_from(ATTRIBUTES))
    if path == ("parentId",):
        pool: list[str | None] = [None, str(uuid.UUID(int=1))]
        op = draw(st.sampled_from(["eq", "neq", "in", "nin"]))
    else:
        pool = [*VALUES, None] if op in ("eq", "neq", "in", "nin") else list(VALUES)
    count = 1 if op in ("eq", "neq", "gt", "gte", "lt", "lte") else draw(st.integers(1, 3))
    values = tuple(draw(st.sampled_from(pool)) for _ in range(count))
    return FilterTerm(op, path, values)


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(terms=st.lists(resource_terms(), min_size=1, max_size=3))
def test_database_agrees_with_python_for_generated_filters(inventory: dict[str, Any], terms: list[FilterTerm]) -> None:
    terms = parse_filter(format_filter(terms))
    assert db_ids(RESOURCE, terms) == python_ids(RESOURCE, terms), format_filter(terms)
