"""Consultation settings for administrators: the notice, the period, moderation, the
announcement and, after the results, the decision. The rules are core.consultation's and
publication.decision's; these pages only collect what the admin types."""
