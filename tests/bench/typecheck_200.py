"""A 200-line module for the type-check benchmark (tests/bench/analysis.mjs): an inventory with
orders, stock moves and reports, stdlib only, with four deliberate type errors (marked ERROR)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
from collections import defaultdict
from typing import Iterable, Iterator, Mapping, Optional, Sequence


class Unit(enum.Enum):
    PIECE = "piece"
    KILOGRAM = "kg"
    LITRE = "l"


@dataclasses.dataclass(frozen=True)
class Product:
    sku: str
    name: str
    unit: Unit
    price_cents: int

    def price_of(self, quantity: float) -> int:
        return round(self.price_cents * quantity)


@dataclasses.dataclass
class StockMove:
    sku: str
    quantity: float
    at: dt.datetime
    reason: str = "adjustment"


@dataclasses.dataclass
class OrderLine:
    product: Product
    quantity: float

    @property
    def total_cents(self) -> int:
        return self.product.price_of(self.quantity)


@dataclasses.dataclass
class Order:
    number: int
    customer: str
    lines: list[OrderLine] = dataclasses.field(default_factory=list)
    shipped_at: Optional[dt.datetime] = None

    def add(self, product: Product, quantity: float) -> None:
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        self.lines.append(OrderLine(product, quantity))

    @property
    def total_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)

    def shipped_on(self) -> str:
        return self.shipped_at.date().isoformat()  # ERROR: shipped_at may be None


class OutOfStock(Exception):
    def __init__(self, sku: str, wanted: float, available: float) -> None:
        super().__init__(f"{sku}: wanted {wanted}, {available} available")
        self.sku = sku
        self.wanted = wanted
        self.available = available


class Inventory:
    def __init__(self, products: Iterable[Product]) -> None:
        self.products: dict[str, Product] = {p.sku: p for p in products}
        self.moves: list[StockMove] = []

    def product(self, sku: str) -> Product:
        try:
            return self.products[sku]
        except KeyError:
            raise KeyError(f"unknown product {sku}") from None

    def level(self, sku: str) -> float:
        return sum(m.quantity for m in self.moves if m.sku == sku)

    def levels(self) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for move in self.moves:
            out[move.sku] += move.quantity
        return dict(out)

    def receive(self, sku: str, quantity: float, at: dt.datetime) -> StockMove:
        self.product(sku)
        move = StockMove(sku, quantity, at, reason="received")
        self.moves.append(move)
        return move

    def take(self, sku: str, quantity: float, at: dt.datetime) -> StockMove:
        available = self.level(sku)
        if available < quantity:
            raise OutOfStock(sku, quantity, available)
        move = StockMove(sku, -quantity, at, reason="shipped")
        self.moves.append(move)
        return move

    def ship(self, order: Order, at: dt.datetime) -> list[StockMove]:
        moves = [self.take(line.product.sku, line.quantity, at) for line in order.lines]
        order.shipped_at = at
        return moves

    def history(self, sku: str) -> Iterator[StockMove]:
        return (m for m in self.moves if m.sku == sku)

    def value_cents(self) -> int:
        return sum(self.product(sku).price_of(level) for sku, level in self.levels().items())


def parse_unit(text: str) -> Unit:
    for unit in Unit:
        if unit.value == text:
            return unit
    raise ValueError(f"unknown unit {text!r}")


def load_products(rows: Sequence[Mapping[str, str]]) -> list[Product]:
    products = []
    for row in rows:
        products.append(
            Product(
                sku=row["sku"],
                name=row["name"],
                unit=parse_unit(row["unit"]),
                price_cents=int(row["price_cents"]),
            )
        )
    return products


def order_from_json(text: str, inventory: Inventory) -> Order:
    data = json.loads(text)
    order = Order(number=int(data["number"]), customer=str(data["customer"]))
    for line in data["lines"]:
        order.add(inventory.product(line["sku"]), float(line["quantity"]))
    return order


def format_cents(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def order_summary(order: Order) -> str:
    lines = [f"Order {order.number} for {order.customer}"]
    for line in order.lines:
        lines.append(f"  {line.product.name}: {line.quantity} {line.product.unit.value}")
    lines.append(f"  total {format_cents(order.total_cents)}")
    return "\n".join(lines)


def low_stock(inventory: Inventory, threshold: float) -> list[str]:
    return sorted(sku for sku, level in inventory.levels().items() if level < threshold)


def daily_totals(orders: Iterable[Order]) -> dict[dt.date, int]:
    totals: dict[dt.date, int] = defaultdict(int)
    for order in orders:
        if order.shipped_at is not None:
            totals[order.shipped_at.date()] += order.total_cents
    return dict(totals)


def busiest_day(orders: Iterable[Order]) -> Optional[dt.date]:
    totals = daily_totals(orders)
    if not totals:
        return None
    return max(totals, key=lambda day: totals[day])


def report(inventory: Inventory, orders: Sequence[Order]) -> str:
    day = busiest_day(orders)
    parts = [
        f"products: {len(inventory.products)}",
        f"stock value: {format_cents(inventory.value_cents())}",
        f"low stock: {', '.join(low_stock(inventory, 5.0)) or 'none'}",
        f"busiest day: {day.isoformat() if day else 'none'}",
    ]
    return "\n".join(parts)


def restock_plan(inventory: Inventory, target: float) -> dict[str, float]:
    plan = {}
    for sku in inventory.products:
        missing = target - inventory.level(sku)
        if missing > 0:
            plan[sku] = missing
    return plan


def apply_plan(inventory: Inventory, plan: Mapping[str, float], at: dt.datetime) -> int:
    for sku, quantity in plan.items():
        inventory.receive(sku, quantity, at)
    return len(plan)


def demo() -> str:
    inventory = Inventory(load_products([{"sku": "A1", "name": "Apples", "unit": "kg", "price_cents": "350"}]))
    now = dt.datetime(2026, 12, 6, 9, 0)
    apply_plan(inventory, restock_plan(inventory, "10"), now)  # ERROR: str where float expected
    order = Order(1, "Ada")
    order.add(inventory.product("A1"), 2.5)
    inventory.ship(order, now)
    print(order.total)  # ERROR: no attribute total
    count: int = format_cents(order.total_cents)  # ERROR: str assigned to int
    return report(inventory, [order]) + str(count)
