"""The desk: the pages that bring every area of an item together (the to-do list, the item
list and its ledger exports, the item page) and registration of items and meetings.

It sits above handling, replies, ratings and supervision, whose parts these pages show; the
blueprint keeps its historical name, "proposals"."""
