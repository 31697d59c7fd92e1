/**
 * How stale a merchant-wide page may be (issue 14): the dashboard, the CLTV page and the incrementality reports read
 * summaries that the summaries job recomputes every SUMMARY_REFRESH_MINUTES (app/jobs/tasks/summaries.ts). A page
 * shows the time its figures were computed; the bound is this interval plus one refresh's run time.
 */
export const SUMMARY_REFRESH_MINUTES = 10;
