"""The bot's contract with the services (c360/ports.py): every method a port names is offered
by the service the container builds, with the port's parameters, so the bot can call it
without probing; and ``resolve_reference`` gives the resolver's verdict on a bare reference."""

from __future__ import annotations

import inspect

import pytest

from c360.domain import Customer
from c360.ports import BriefsPort, MomentsPort, OwnershipPort, SlackEventsPort


def port_methods(port: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(port).items()
        if callable(member) and not name.startswith("_")
    }


def parameters(signature: inspect.Signature) -> dict[str, inspect.Parameter]:
    return {n: p for n, p in signature.parameters.items() if n != "self"}


def services(container) -> list[tuple[type, object]]:
    return [
        (BriefsPort, container.briefs),
        (MomentsPort, container.moments),
        (OwnershipPort, container.ownership),
        (SlackEventsPort, container.slack_events),
    ]


def test_each_service_offers_every_method_of_its_port_with_the_same_parameters(container):
    for port, service in services(container):
        assert isinstance(service, port), f"{type(service).__name__} is not a {port.__name__}"
        for name, wanted in port_methods(port).items():
            offered = parameters(inspect.signature(getattr(service, name)))  # bound
            for pname, param in parameters(wanted).items():
                if param.kind is inspect.Parameter.VAR_KEYWORD:
                    continue
                assert pname in offered, f"{type(service).__name__}.{name} has no {pname}"
                has_default = param.default is not inspect.Parameter.empty
                assert not has_default or offered[pname].default is not inspect.Parameter.empty, (
                    f"{type(service).__name__}.{name}: {pname} is optional in the port only"
                )
            required = {
                n
                for n, p in offered.items()
                if p.default is inspect.Parameter.empty
                and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
            }
            assert required <= set(parameters(wanted)), (
                f"{type(service).__name__}.{name} needs {required - set(parameters(wanted))}"
            )


@pytest.fixture
def named(container):
    customers = [
        Customer("acme-1", "Acme Corp"),
        Customer("acme-2", "Acme Corporation Ltd"),
        Customer("globex-1", "Globex Industries", aliases=["Globex"]),
    ]
    summary = container.ingest.add_records(customers, source="tests/ports")
    assert not summary.errors, summary.errors
    return container.briefs


@pytest.mark.parametrize(
    ("ref", "customer_id"),
    [
        ("globex-1", "globex-1"),  # the id itself
        ("Globex", "globex-1"),  # an alias, as typed
        ("acme corporation ltd", "acme-2"),  # the whole name, in any case
    ],
)
def test_a_reference_that_names_one_customer_is_resolved(named, ref, customer_id):
    verdict = named.resolve_reference(ref)
    assert verdict.resolved and verdict.customer_id == customer_id and verdict.name


def test_a_reference_two_customers_fit_gives_candidates_to_pick_from(named):
    verdict = named.resolve_reference("Acme")
    assert not verdict.resolved and verdict.customer_id is None
    assert {c.customer_id for c in verdict.candidates} >= {"acme-1", "acme-2"}
    assert all(c.to_dict()["customer_id"] for c in verdict.candidates)


def test_a_reference_naming_nobody_gives_nothing(named):
    verdict = named.resolve_reference("Initech")
    assert not verdict.resolved and list(verdict.candidates) == []
