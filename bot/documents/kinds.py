"""Which attached files the bot reads as text, told by MIME type or, as Slack labels many source
files ``application/octet-stream`` or ``text/plain``, by the name's extension."""

from __future__ import annotations

from pathlib import PurePosixPath

from bot.documents.extract import DocumentKind

_PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
_DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_TEXT_TYPES = frozenset(
    {
        "application/json",
        "application/ld+json",
        "application/xml",
        "application/x-yaml",
        "application/yaml",
        "application/toml",
        "application/javascript",
        "application/typescript",
        "application/x-sh",
        "application/x-shellscript",
        "application/sql",
        "application/csv",
        "application/x-ndjson",
        "application/graphql",
    }
)
_TEXT_EXTENSIONS = frozenset(
    {
        # prose and data
        "txt", "text", "md", "markdown", "rst", "adoc", "org", "tex", "log", "csv", "tsv",
        "json", "jsonl", "ndjson", "yaml", "yml", "toml", "ini", "cfg", "conf", "env", "xml",
        "html", "htm", "css", "scss", "svg", "sql", "graphql", "proto", "diff", "patch",
        # source code
        "py", "pyi", "ipynb", "js", "mjs", "cjs", "jsx", "ts", "tsx", "go", "rs", "java", "kt",
        "kts", "scala", "swift", "c", "h", "cc", "cpp", "cxx", "hpp", "cs", "fs", "rb", "php",
        "pl", "pm", "lua", "r", "jl", "dart", "ex", "exs", "erl", "hs", "ml", "clj", "elm",
        "vue", "svelte", "sh", "bash", "zsh", "fish", "ps1", "bat", "tf", "hcl", "gradle",
        "cmake", "mk", "dockerfile", "makefile", "gitignore",
    }
)  # fmt: skip
_TEXT_NAMES = frozenset({"dockerfile", "makefile", "readme", "license", "procfile"})


def document_kind(name: str, mimetype: str) -> DocumentKind | None:
    """How to read a file as text, or None when the bot does not read its kind."""
    mimetype = mimetype.lower().split(";")[0].strip()
    path = PurePosixPath(name.lower())
    extension = path.suffix.removeprefix(".")
    if mimetype in _PDF_TYPES or extension == "pdf":
        return DocumentKind.PDF
    if mimetype == _DOCX_TYPE or extension == "docx":
        return DocumentKind.DOCX
    if (
        mimetype.startswith("text/")
        or mimetype in _TEXT_TYPES
        or mimetype.endswith(("+json", "+xml"))
        or extension in _TEXT_EXTENSIONS
        or path.name in _TEXT_NAMES
    ):
        return DocumentKind.TEXT
    return None
