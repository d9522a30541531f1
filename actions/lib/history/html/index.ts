/** The artifact history as a self-contained static site, and its summary in Markdown. */
export { buildDashboard, DEFAULT_WINDOW, type DashboardOptions } from './aggregate.js';
export { summaryMarkdown } from './markdown.js';
export type { Dashboard } from './model.js';
export { renderSite, type SiteOptions, type SiteResult, writeSite } from './site.js';
