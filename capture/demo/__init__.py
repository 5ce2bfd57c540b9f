"""The built-in demo marketplace that `evidence demo` captures (see server.py)."""

from .server import (
    DEMO_PASSWORD,
    DEMO_USER,
    EXPANDED_MARKER,
    ORDER_ID,
    PRODUCT_ID,
    ShopServer,
    chat_messages,
    plan_path,
    serve_forever,
)

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_USER",
    "EXPANDED_MARKER",
    "ORDER_ID",
    "PRODUCT_ID",
    "ShopServer",
    "chat_messages",
    "plan_path",
    "serve_forever",
]
