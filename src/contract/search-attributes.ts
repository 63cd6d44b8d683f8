/**
 * Search attributes a run keeps up to date, so runs can be found by status and replans in the Web UI
 * (`PlanwrightStatus = 'awaiting-approval'`). Set only when registered on the server.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The run's status (RunStatus). */
export const STATUS_ATTRIBUTE = defineSearchAttributeKey('PlanwrightStatus', SearchAttributeType.KEYWORD);
/** How many times the run has replanned. */
export const REPLANS_ATTRIBUTE = defineSearchAttributeKey('PlanwrightReplans', SearchAttributeType.INT);

/** Every planwright search attribute, for registering on a server. */
export const SEARCH_ATTRIBUTES = [STATUS_ATTRIBUTE, REPLANS_ATTRIBUTE];
