"""One list component for every staff queue: a ``django-tables2`` table (no total count: a lazy
pager fetches one row more than a page) filtered by a ``django-filter`` filter set, with a count
per filter option (facets), each facet one grouped query whatever the number of rows.

    listing = staff_list(request, CaseTable, rows, filterset_class=ConsoleFilter, facets=FACETS)
    render(request, "…", {"listing": listing})   # {% include "web/list.html" %}

``sorts=[Sort("due", _("时限"), ("next_due_at", "id")), …]`` offers the reader other orders
(``?sort=<key>``, shown as chips; the first is the list's own order, applied as given).

A facet is ``Facet(name, field, label)``: the filter's GET parameter, the field to group by and
the field (or a dict value → label) giving each option's label; ``Facet(name, q=Q(…))`` is a
yes/no filter counted with one conditional count. Counts follow the other active filters (the
facet's own filter left out), so every number says how many rows clicking it would show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

import django_tables2 as tables
from django.core.paginator import EmptyPage
from django.db.models import Count, Q
from django.template import Context, Template
from django.utils.translation import gettext_lazy as _
from django_tables2.paginators import LazyPaginator

PER_PAGE = 30


class StaffTable(tables.Table):
    """The base of every staff list: one look, no sorting by header (queues have their order),
    rows addressable by ``id`` for keyboard and tests."""

    class Meta:
        template_name = "web/table.html"
        attrs = {"class": "table"}
        orderable = False
        empty_text = _("暂无记录")


class TemplateColumn(tables.TemplateColumn):
    """django-tables2's ``TemplateColumn`` compiles its ``template_code`` again for every cell
    (≈ 1 ms each: 120 compilations on a page of 30 rows × 4 columns); this one compiles it once
    per column and renders it the same way."""

    def render(self, record, table, value, bound_column, **kwargs):
        if not self.template_code:
            return super().render(record, table, value, bound_column, **kwargs)
        compiled = self.__dict__.get("_compiled")
        if compiled is None:
            compiled = self._compiled = Template(self.template_code)
        parent_context = getattr(table, "context", Context())
        context = self.get_context_data(
            record=record, table=table, value=value, bound_column=bound_column, **kwargs
        )
        with parent_context.update(context):
            parent_context["request"] = getattr(table, "request", None)
            return compiled.render(parent_context)


@dataclass
class Facet:
    name: str
    group_by: str = ""
    label: str | dict = ""
    title: str = ""
    q: Q | None = None
    options: list = field(default_factory=list)


@dataclass
class Sort:
    key: str
    label: str
    order: tuple = ()


@dataclass
class StaffList:
    table: StaffTable
    filterset: object = None
    facets: list = field(default_factory=list)
    query: dict = field(default_factory=dict)
    exportable: bool = False
    sorts: list = field(default_factory=list)

    @property
    def export_url(self):
        """This list, with its filters, as an .xlsx download (see :func:`export_list`)."""
        return "?" + urlencode({**self.query, "format": "xlsx"})

    @property
    def rows(self):
        return [row.record for row in self.table.page.object_list]

    @property
    def active(self):
        return any(self.query.values())

    @property
    def errors(self):
        return self.filterset.errors if self.filterset is not None else {}


def _query(request, names):
    return {n: request.GET.get(n, "").strip()[:64] for n in names if request.GET.get(n, "").strip()}


def _sorted(rows, query, sorts):
    """``rows`` in the order asked by ``?sort=`` (one of ``sorts``), else as given."""
    wanted = query.get("sort", "")
    for sort in sorts[1:]:
        if sort.key == wanted:
            return rows.order_by(*sort.order)
    return rows


def _sort_links(query, sorts):
    wanted = query.get("sort", "") or (sorts[0].key if sorts else "")
    if wanted not in {s.key for s in sorts}:
        wanted = sorts[0].key if sorts else ""
    return [
        {
            "key": s.key,
            "label": s.label,
            "active": s.key == wanted,
            "url": _link(query, "sort", "" if i == 0 else s.key),
        }
        for i, s in enumerate(sorts)
    ]


def _link(query, name, value):
    changed = {k: v for k, v in query.items() if k != name}
    if value not in (None, ""):
        changed[name] = value
    return "?" + urlencode(changed) if changed else "?"


def staff_list(
    request,
    table_class,
    rows,
    *,
    filterset_class=None,
    facets=(),
    per_page=PER_PAGE,
    extra_query=(),
    exportable=False,
    sorts=(),
    page_rows=None,
    **table_kwargs,
):
    """Filter ``rows`` (already scoped and ordered), count the facets, page without a total.
    ``exportable``: the view answers ``?format=xlsx`` with :func:`export_list` (a link shows).
    ``page_rows(queryset, start, stop)``: how the page's rows are read (e.g. plain rows from
    ``cases.queries.page_rows``) instead of model instances."""
    filterset = None
    sorts = list(sorts)
    names = list(extra_query) + (["sort"] if sorts else [])
    if filterset_class is not None:
        names += list(filterset_class.base_filters)
    query = _query(request, names)
    if filterset_class is not None:
        filterset = filterset_class(query, queryset=rows, request=request)
        data = filterset.qs
    else:
        data = rows
    data = _sorted(data, query, sorts)
    counted = []
    for facet in facets:
        facet = Facet(facet.name, facet.group_by, facet.label, facet.title, facet.q)
        others = {k: v for k, v in query.items() if k != facet.name}
        base = (
            filterset_class(others, queryset=rows, request=request).qs
            if filterset_class is not None
            else rows
        ).order_by()
        current = query.get(facet.name, "")
        if facet.q is not None:
            n = base.aggregate(n=Count("pk", filter=facet.q))["n"]
            facet.options = [
                {
                    "value": "1",
                    "label": facet.title,
                    "count": n,
                    "active": current == "1",
                    "url": _link(query, facet.name, "" if current == "1" else "1"),
                }
            ]
        else:
            label_field = facet.label if isinstance(facet.label, str) and facet.label else None
            fields = [facet.group_by] + ([label_field] if label_field else [])
            grouped = base.values(*fields).annotate(n=Count("pk")).order_by(*fields)
            for row in grouped:
                value = row[facet.group_by]
                if value is None:
                    continue
                label = (
                    row[label_field]
                    if label_field
                    else (facet.label or {}).get(value, value)
                    if isinstance(facet.label, dict)
                    else value
                )
                active = str(value) == current
                facet.options.append(
                    {
                        "value": value,
                        "label": label,
                        "count": row["n"],
                        "active": active,
                        "url": _link(query, facet.name, "" if active else value),
                    }
                )
        counted.append(facet)
    table = table_class(data if page_rows is None else _Window(data, page_rows), **table_kwargs)
    table.request = request  # what RequestConfig does, without letting ?per_page= grow a page
    try:
        number = max(1, min(int(request.GET.get("page", 1)), 10_000))
    except ValueError:
        number = 1
    try:
        table.paginate(LazyPaginator, per_page=per_page, page=number)
    except EmptyPage:
        table.paginate(LazyPaginator, per_page=per_page, page=1)
    table.page.object_list = list(table.page.object_list)  # one query, rows reused by the view
    return StaffList(
        table=table,
        filterset=filterset,
        facets=counted,
        query=query,
        exportable=exportable,
        sorts=_sort_links(query, sorts),
    )


class _Window(tables.data.TableData):
    """A queryset seen through ``fetch(queryset, start, stop)``: the lazy pager slices it once."""

    def __init__(self, queryset, fetch):
        super().__init__(queryset)
        self.fetch = fetch

    def __getitem__(self, key):
        if not isinstance(key, slice):
            raise TypeError("rows are read a page at a time")
        return self.fetch(self.data, key.start or 0, key.stop)

    def __len__(self):  # the lazy pager never counts; refuse to run a COUNT by accident
        raise TypeError("a page has no total")

    def __iter__(self):
        raise TypeError("rows are read a page at a time")


def wants_export(request):
    return request.GET.get("format") == "xlsx"


def export_columns(table_class):
    """[(header, accessor)] for ``core.exports.list_xlsx``: the table's own ``export_columns``
    if it declares them, else its columns (choices shown as their labels, selection boxes left out)."""
    declared = getattr(table_class, "export_columns", None)
    if declared:
        return list(declared)
    columns = []
    for name, column in table_class.base_columns.items():
        if name == "select":
            continue
        accessor = tables.A(column.accessor or name)

        def value(row, name=name, accessor=accessor):
            display = getattr(row, f"get_{name}_display", None)
            return display() if callable(display) else accessor.resolve(row, quiet=True)

        columns.append((column.verbose_name or name, value))
    return columns


def export_list(
    request,
    table_class,
    rows,
    *,
    kind,
    filename,
    filterset_class=None,
    extra_query=(),
    sorts=(),
    columns=None,
):
    """The whole filtered list (not one page), in the order asked, as an audited .xlsx, personal
    data masked unless asked with a reason and the permission (``core.exports.list_xlsx``).
    ``columns`` ([(header, accessor)]) overrides the table's own export columns."""
    from fengqiao.core import exports

    sorts = list(sorts)
    names = list(extra_query) + (["sort"] if sorts else [])
    if filterset_class is not None:
        names += list(filterset_class.base_filters)
    query = _query(request, names)
    data = rows
    if filterset_class is not None:
        filterset = filterset_class(query, queryset=rows, request=request)
        data = filterset.qs if filterset.is_valid() else rows
    data = _sorted(data, query, sorts)
    return exports.list_xlsx(
        request,
        data,
        columns if columns is not None else export_columns(table_class),
        kind=kind,
        filename=filename,
    )
