"""Files a client rewrites itself on start (Pi's settings.json: reformatted, `lastChangelogVersion` added; Kilo's
config on its first start: `permission.bash` and `$schema` added, a `.json` file reformatted).

keyconf's undo puts back the bytes a file had, and refuses when the file changed since (someone's edit would be
lost). A client's own rewrite is not such an edit: it keeps every member keyconf left and only reformats or
adds its own. `RewrittenJsonEdit` tells the two apart at undo time: when every top-level member keyconf left
is still there with the same value, the undo takes keyconf's owned members out of the file as it is now
(the rewrite stays); when any of them changed (the user picked another model in the client), it refuses
as for any other file.

Only for files that hold no key: the data keyconf left is kept in the journal to compare with. It lives with
the JSON editors (it edits through them); the engine rebuilds it from the journal by name.
"""

from __future__ import annotations

from keyconf.engine.edits import FileEdit


class RewrittenJsonEdit(FileEdit):
    # Journaled as a file like any other (recovery and the temp-file sweep treat it so); `client_rewrites`
    # in the record brings this class back for undo.

    def __init__(self, path, before: bytes | None, after: bytes | None, private: bool = False,
                 internal: bool = False, client: str | None = None, mode_before: int | None = None,
                 owned: dict | None = None, left: str | None = None):
        super().__init__(path, before, after, private, internal, client, mode_before)
        self.owned = owned or {}  # the jsonowned ownership record of this file after the change
        # the text keyconf left (None: the file is gone), compared by value with what the client made of it
        self.left = left if left is not None or after is None else after.decode("utf-8", "replace")

    def record(self) -> dict:
        return {**super().record(), "client_rewrites": True, "owned": self.owned, "left": self.left}

    @classmethod
    def from_record(cls, rec: dict, before: bytes | None) -> "RewrittenJsonEdit":
        edit = super().from_record(rec, before)
        edit.owned, edit.left = rec.get("owned") or {}, rec.get("left")
        return edit

    def rebase(self, current: bytes | None) -> bytes | None:
        from keyconf.errors import UnsafeEdit
        from keyconf.formats.jsondoc import JsonDoc
        from keyconf.formats.jsonowned import restore_owned

        if current is None or self.left is None:
            return None
        try:  # JSONC reads plain JSON alike; Kilo keeps comments when it edits its own config
            doc = JsonDoc(current, str(self.path), jsonc=True)
            now = doc.get(())
            left = JsonDoc(self.left.encode("utf-8"), str(self.path), jsonc=True).get(())
        except UnsafeEdit:
            return None
        if not (isinstance(now, dict) and isinstance(left, dict)):
            return None
        if any(name not in now or now[name] != value for name, value in left.items()):
            return None  # a member keyconf left was changed or removed: not just the client's rewrite
        try:
            restore_owned(doc, self.owned)
        except UnsafeEdit:
            return None
        return doc.content()
