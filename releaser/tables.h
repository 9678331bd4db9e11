#ifndef SW_TABLES_H
#define SW_TABLES_H

/*
 * The releaser's tables in slipwayd's database, as migrations (SQL scripts run once, in
 * order; common/store.h):
 *   1  releases (release.h)
 *   2  reviews, review_settings (review.h)
 *   3  deploy_settings (strategy.h)
 *   4  releases rebuilt (kind 'promote'); domains (domains.h), certs and route_settings (certs.h)
 *   5  app_settings (appsettings.h)
 * slipwayd's database has one numbered sequence for its own tables and these
 * (receiver/db.c takes migration n at the place it was first added), so a database any
 * earlier slipwayd made continues where it stopped. A migration is never edited: a
 * change is a new one, added here and at the end of slipwayd's sequence.
 */

#define SW_TABLES_MIGRATIONS 5

/* Migration n (1 to SW_TABLES_MIGRATIONS), static; NULL for any other n. */
const char *sw_tables_migration(int n);

#endif
