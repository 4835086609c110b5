"""The public portal of 办理结果公开: published replies listed, searched (their public text
only) and served without login, with an Atom feed and the public statistics."""
