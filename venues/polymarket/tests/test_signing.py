"""V2 order signing and auth headers, cross-checked against Polymarket's official V2 client."""

from __future__ import annotations

from decimal import Decimal

import pytest
from arbkit_polymarket import auth, signing

from arbkit import InvalidOrder, Secret, Side

D = Decimal
# A throwaway key (never funded): the well-known first Hardhat/Anvil development account.
KEY = Secret("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
TOKEN = "35946349809644018221594766900800697897892667107929166603091569173318790894279"


def order(**changes: object) -> signing.UnsignedOrder:
    maker, taker = signing.amounts(Side.BUY, D("0.34"), D("10"), D("0.01"))
    fields: dict = dict(
        salt=123456789,
        maker=ADDRESS,
        signer=ADDRESS,
        token_id=TOKEN,
        maker_amount=maker,
        taker_amount=taker,
        side=0,
        signature_type=signing.EOA,
        timestamp_ms=1790000000000,
    )
    fields.update(changes)
    return signing.UnsignedOrder(**fields)


def test_address_of_key() -> None:
    assert signing.address_of(KEY) == ADDRESS


def test_amounts_are_exact_base_units() -> None:
    assert signing.amounts(Side.BUY, D("0.34"), D("10"), D("0.01")) == (3_400_000, 10_000_000)
    assert signing.amounts(Side.SELL, D("0.347"), D("12.5"), D("0.001")) == (12_500_000, 4_337_500)


@pytest.mark.parametrize(
    ("price", "size"),
    [(D("0.345"), D("10")), (D("0"), D("10")), (D("1"), D("10")), (D("0.5"), D("1.001"))],
)
def test_off_grid_orders_are_refused_locally(price: Decimal, size: Decimal) -> None:
    with pytest.raises(InvalidOrder):
        signing.amounts(Side.BUY, price, size, D("0.01"))


@pytest.mark.parametrize("neg_risk", [False, True])
def test_signature_matches_official_v2_client(neg_risk: bool) -> None:
    official = pytest.importorskip("py_clob_client_v2.order_utils.exchange_order_builder_v2")
    from py_clob_client_v2.order_utils.model.order_data_v2 import OrderV2
    from py_clob_client_v2.order_utils.model.side import Side as OfficialSide
    from py_clob_client_v2.order_utils.model.signature_type_v2 import SignatureTypeV2
    from py_clob_client_v2.signer import Signer

    ours = order()
    exchange = signing.NEG_RISK_EXCHANGE_V2 if neg_risk else signing.EXCHANGE_V2
    builder = official.ExchangeOrderBuilderV2(exchange, 137, Signer(KEY.reveal(), 137))
    theirs = OrderV2(
        salt=str(ours.salt),
        maker=ADDRESS,
        signer=ADDRESS,
        tokenId=TOKEN,
        makerAmount=str(ours.maker_amount),
        takerAmount=str(ours.taker_amount),
        side=OfficialSide.BUY,
        signatureType=SignatureTypeV2.EOA,
        timestamp=str(ours.timestamp_ms),
        metadata=signing.ZERO_BYTES32,
        builder=signing.ZERO_BYTES32,
    )
    expected = builder.build_order_signature(builder.build_order_typed_data(theirs))
    assert signing.sign_order(ours, KEY, neg_risk=neg_risk) == expected


def test_signature_recovers_to_signer_and_depends_on_exchange() -> None:
    signature = signing.sign_order(order(), KEY, neg_risk=False)
    assert signing.recover_order_signer(order(), signature, neg_risk=False) == ADDRESS
    assert signing.recover_order_signer(order(), signature, neg_risk=True) != ADDRESS
    assert signing.recover_order_signer(order(salt=1), signature, neg_risk=False) != ADDRESS


def test_l1_headers_match_official_client() -> None:
    pytest.importorskip("py_clob_client_v2")
    from py_clob_client_v2.headers.headers import create_level_1_headers
    from py_clob_client_v2.signer import Signer

    expected = create_level_1_headers(Signer(KEY.reveal(), 137), nonce=0, timestamp=1790000000)
    assert auth.l1_headers(KEY, ADDRESS, 1790000000, 0) == expected


def test_hmac_matches_official_client() -> None:
    pytest.importorskip("py_clob_client_v2")
    from py_clob_client_v2.signing.hmac import build_hmac_signature

    secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ=="
    body = b'{"orderID":"0xabc"}'
    expected = build_hmac_signature(secret, "1790000000", "DELETE", "/order", body.decode())
    assert auth.hmac_signature(Secret(secret), 1790000000, "DELETE", "/order", body) == expected


WALLET = "0x1234567890AbcdEF1234567890aBcdef12345678"


def _official(
    ours: signing.UnsignedOrder, exchange: str, domain_version: str, sig_type: int
) -> str:
    official = pytest.importorskip("py_clob_client_v2.order_utils.exchange_order_builder_v2")
    from py_clob_client_v2.order_utils.model.order_data_v2 import OrderV2
    from py_clob_client_v2.order_utils.model.side import Side as OfficialSide
    from py_clob_client_v2.order_utils.model.signature_type_v2 import SignatureTypeV2
    from py_clob_client_v2.signer import Signer

    builder = official.ExchangeOrderBuilderV2(
        exchange, 137, Signer(KEY.reveal(), 137), domain_version=domain_version
    )
    theirs = OrderV2(
        salt=str(ours.salt),
        maker=ours.maker,
        signer=ours.signer,
        tokenId=ours.token_id,
        makerAmount=str(ours.maker_amount),
        takerAmount=str(ours.taker_amount),
        side=OfficialSide.BUY,
        signatureType=SignatureTypeV2(sig_type),
        timestamp=str(ours.timestamp_ms),
        metadata=signing.ZERO_BYTES32,
        builder=signing.ZERO_BYTES32,
    )
    return builder.build_order_signature(builder.build_order_typed_data(theirs))


def test_exchange_v3_address_matches_official_config() -> None:
    pytest.importorskip("py_clob_client_v2")
    from py_clob_client_v2.config import get_contract_config

    config = get_contract_config(137)
    assert signing.EXCHANGE_V3 == config.exchange_v3
    assert signing.EXCHANGE_V2 == config.exchange_v2
    assert signing.NEG_RISK_EXCHANGE_V2 == config.neg_risk_exchange_v2


@pytest.mark.parametrize("neg_risk", [False, True])
def test_v3_signature_matches_official_client(neg_risk: bool) -> None:
    ours = order()
    expected = _official(ours, signing.EXCHANGE_V3, "3", signing.EOA)
    # ExchangeV3 is one contract: neg_risk does not change where a v2 market's order is signed.
    assert signing.sign_order(ours, KEY, neg_risk=neg_risk, exchange_version=3) == expected
    assert signing.sign_order(ours, KEY, neg_risk=False, exchange_version=2) != expected
    assert (
        signing.recover_order_signer(ours, expected, neg_risk=neg_risk, exchange_version=3)
        == ADDRESS
    )


@pytest.mark.parametrize(("exchange_version", "domain"), [(2, "2"), (3, "3")])
def test_deposit_wallet_signature_matches_official_client(
    exchange_version: int, domain: str
) -> None:
    # POLY_1271: maker and signer are both the deposit wallet; the EOA key signs the wrapper.
    ours = order(maker=WALLET, signer=WALLET, signature_type=signing.POLY_1271)
    exchange = signing.EXCHANGE_V3 if exchange_version == 3 else signing.EXCHANGE_V2
    expected = _official(ours, exchange, domain, signing.POLY_1271)
    got = signing.sign_order(ours, KEY, neg_risk=False, exchange_version=exchange_version)
    assert got == expected
    assert (
        signing.recover_order_signer(ours, got, neg_risk=False, exchange_version=exchange_version)
        == ADDRESS
    )
    other = order(maker=WALLET, signer=WALLET, signature_type=signing.POLY_1271, salt=1)
    assert signing.recover_order_signer(other, got, neg_risk=False) != ADDRESS
