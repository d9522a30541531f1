#!/usr/bin/env bash
# Warns when the taco/actions code of a reusable workflow runs from a moving ref (a tag or branch)
# rather than a full commit SHA. A called workflow cannot learn its own commit (docs/security.md),
# so the caller must pass actions-ref with the SHA it pinned the workflow to.
# Usage (a step after the checkout into .taco-actions): ACTIONS_REF=<ref> .taco-actions/scripts/check-actions-ref.sh
set -euo pipefail
ref="${ACTIONS_REF:?ACTIONS_REF is not set: pass the actions-ref input}"
if [[ ! "$ref" =~ ^[0-9a-f]{40}$ ]]; then
  echo "::warning::taco/actions code runs from '$ref', a moving ref: pass actions-ref with the commit SHA this workflow is pinned to"
fi
