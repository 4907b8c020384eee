"""Tools the model may call: plain objects with a name, a JSON schema, a permission check and
an async run; the built-in ones (``generate_image`` in ``image_tool``, ``summarize_thread`` in
``summary_tool``) and those of MCP servers (``mcp_tools``) look the same to the loop. Import
the implementations from their modules; this package names only the shape."""

from __future__ import annotations

from bot.tools.base import Tool, ToolContext, ToolOutput, function_spec

__all__ = ["Tool", "ToolContext", "ToolOutput", "function_spec"]
