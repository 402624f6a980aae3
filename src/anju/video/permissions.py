"""Permissions the video domain declares (registered with the kernel on import)."""

from __future__ import annotations

from anju.core.rbac import Role, declare


class VideoPerm:
    """Who may do what with cameras and footage (platform admins hold each)."""

    read = declare("video.read", roles=(Role.property_manager, Role.property_staff, Role.guard))  # cameras, events
    manage = declare("video.manage", roles=(Role.property_manager,))  # register cameras, zones, schedules, retention
    review = declare("video.review", roles=(Role.property_manager, Role.guard))  # confirm / dismiss (R-A4)
    # Playback and download of evidence: logged with user, time, camera, range and reason (R-A2).
    footage = declare("video.footage", roles=(Role.property_manager, Role.guard))
    hold = declare("video.hold", roles=(Role.property_manager,))  # legal hold on evidence (R-A1)
