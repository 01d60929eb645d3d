"""A rich menu file, `richmenus/<id>.yaml`, and the `kairos.yaml: richmenus:` bindings.

The models check shape; `kairos.project` checks what needs the file system (the image
beside the file: PNG or JPEG, at most 1 MB, exactly the menu's size) and the project
(a `richmenuswitch` names a menu of the project, bindings name known menus, segments).
LINE's own limits are enforced here so `kairos validate` says what LINE would refuse:
width 800–2,500 px, height at least 250 px, width / height at least 1.45, 1–20 areas
inside the image, `chatBarText` at most 14 characters, a name at most 300.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
MAX_AREAS = 20
MAX_IMAGE_BYTES = 1024 * 1024


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Size(Strict):
    width: int = Field(ge=800, le=2500)
    height: int = Field(ge=250)

    @model_validator(mode="after")
    def _ratio(self) -> Size:
        if self.width / self.height < 1.45:
            raise ValueError("width / height must be at least 1.45 (LINE's rule)")
        return self


class Bounds(Strict):
    x: int = Field(ge=0)
    y: int = Field(ge=0)
    width: int = Field(ge=1)
    height: int = Field(ge=1)


class MessageAction(Strict):
    type: Literal["message"]
    text: str = Field(min_length=1, max_length=300)
    label: str | None = Field(default=None, max_length=20)


class PostbackAction(Strict):
    type: Literal["postback"]
    data: str = Field(min_length=1, max_length=300)
    display_text: str | None = Field(default=None, max_length=300, alias="displayText")
    label: str | None = Field(default=None, max_length=20)

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class UriAction(Strict):
    type: Literal["uri"]
    uri: str = Field(pattern=r"^(https?|line|tel):", max_length=1000)
    label: str | None = Field(default=None, max_length=20)


class DatetimePickerAction(Strict):
    type: Literal["datetimepicker"]
    data: str = Field(min_length=1, max_length=300)
    mode: Literal["date", "time", "datetime"]
    label: str | None = Field(default=None, max_length=20)


class SwitchAction(Strict):
    """A tab: switches to another menu of the project (by its alias on the channel)."""

    type: Literal["richmenuswitch"]
    to: str = Field(pattern=ID_PATTERN)
    """A menu id of this project."""
    data: str = Field(min_length=1, max_length=300)
    label: str | None = Field(default=None, max_length=20)


Action = Annotated[
    Annotated[MessageAction, Tag("message")]
    | Annotated[PostbackAction, Tag("postback")]
    | Annotated[UriAction, Tag("uri")]
    | Annotated[DatetimePickerAction, Tag("datetimepicker")]
    | Annotated[SwitchAction, Tag("richmenuswitch")],
    Discriminator(lambda v: v.get("type") if isinstance(v, dict) else getattr(v, "type", None)),
]


class Area(Strict):
    bounds: Bounds
    action: Action


class RichMenu(Strict):
    id: str = Field(pattern=ID_PATTERN, max_length=32)
    """Also the menu's alias on the channel (LINE: at most 32 characters)."""
    name: str = Field(min_length=1, max_length=250)
    chat_bar_text: str = Field(min_length=1, max_length=14)
    size: Size
    selected: bool = False
    """Open when linked (LINE's `selected`)."""
    image: str | None = None
    """The image file beside the YAML file (default `<file stem>.png`, else `.jpg`)."""
    areas: list[Area] = Field(min_length=1, max_length=MAX_AREAS)

    @model_validator(mode="after")
    def _inside(self) -> RichMenu:
        for i, area in enumerate(self.areas):
            b = area.bounds
            if b.x + b.width > self.size.width or b.y + b.height > self.size.height:
                raise ValueError(
                    f"areas[{i}].bounds: outside the {self.size.width}×{self.size.height} image"
                )
        return self

    def line_body(self, aliases: dict[str, str] | None = None) -> dict[str, Any]:
        """LINE's rich menu object; `name` is set by the deployer (it carries the
        version, which makes a deploy idempotent)."""
        areas = []
        for area in self.areas:
            action = area.action.model_dump(by_alias=True, exclude_none=True)
            if action["type"] == "richmenuswitch":
                target = action.pop("to")
                action["richMenuAliasId"] = (aliases or {}).get(target, target)
            areas.append({"bounds": area.bounds.model_dump(), "action": action})
        return {
            "size": self.size.model_dump(),
            "selected": self.selected,
            "name": self.name,
            "chatBarText": self.chat_bar_text,
            "areas": areas,
        }


class Binding(Strict):
    """`kairos.yaml: richmenus:` — `{segment: vip, menu: vip-menu}`, `{tag: new-friend,
    menu: …}`, or `{menu: default-menu}` (no condition: the default, listed last)."""

    menu: str = Field(pattern=ID_PATTERN)
    segment: str | None = None
    tag: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one(self) -> Binding:
        if self.segment is not None and self.tag is not None:
            raise ValueError("a binding names a segment or a tag, not both")
        return self

    @property
    def is_default(self) -> bool:
        return self.segment is None and self.tag is None


@dataclass(frozen=True)
class RichMenuFile:
    menu: RichMenu
    image: Path
    version: str
    """Content hash of the menu and its image: a change of either is a new LINE menu."""
