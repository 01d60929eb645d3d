"""LINE rich menus as project files (`richmenus/*.yaml`), bound to segments and tags,
deployed to the channel and linked to members in bulk (docs/templates.md, "Rich menus")."""
