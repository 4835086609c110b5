"""办理结果公开: the public text of an issued reply (redaction), its confirmation, the public
versions and the portal."""
