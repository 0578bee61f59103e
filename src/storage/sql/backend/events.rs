//! events

use super::*;

impl This {
    pub(super) async fn find_events(
        &self,
        seminar: Option<&str>,
        page: Page,
    ) -> Result<Vec<(i64, Event)>, StoreError> {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "SELECT id, at_us, actor, kind, seminar, data FROM events WHERE 1 = 1",
        );
        if let Some(s) = seminar {
            qb.push(" AND seminar = ").push_bind(s.to_string());
        }
        if let Some(after) = page.after {
            qb.push(" AND id > ").push_bind(after);
        }
        qb.push(" ORDER BY id");
        push_page(&mut qb, &page);
        let rows = qb.build().fetch_all(&self.pool).await?;
        Ok(decode_each("event", &rows, |r| {
            let data: String = r.try_get("data")?;
            Ok((
                r.try_get("id")?,
                Event {
                    at: from_us(r.try_get("at_us")?)?,
                    actor: r.try_get("actor")?,
                    kind: r.try_get("kind")?,
                    seminar: r.try_get("seminar")?,
                    data: parse("event", &data)?,
                },
            ))
        }))
    }

    pub(super) async fn events(&self, seminar: Option<&str>) -> Result<Vec<Event>, StoreError> {
        let rows = match seminar {
            Some(s) => {
                sqlx::query(
                    "SELECT at_us, actor, kind, seminar, data FROM events WHERE seminar = $1
                    ORDER BY id",
                )
                .bind(s)
                .fetch_all(&self.pool)
                .await?
            }
            None => {
                sqlx::query("SELECT at_us, actor, kind, seminar, data FROM events ORDER BY id")
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        Ok(decode_each("event", &rows, |r| {
            let data: String = r.try_get("data")?;
            Ok(Event {
                at: from_us(r.try_get("at_us")?)?,
                actor: r.try_get("actor")?,
                kind: r.try_get("kind")?,
                seminar: r.try_get("seminar")?,
                data: parse("event", &data)?,
            })
        }))
    }

    pub(super) async fn search_events(
        &self,
        q: &EventQuery,
    ) -> Result<Vec<(i64, Event)>, StoreError> {
        let mut qb = sqlx::QueryBuilder::<Db>::new(
            "SELECT id, at_us, actor, kind, seminar, data FROM events e",
        );
        event_where(&mut qb, q);
        if let Some(after) = q.page.after {
            qb.push(if q.newest_first {
                " AND id < "
            } else {
                " AND id > "
            })
            .push_bind(after);
        }
        qb.push(if q.newest_first {
            " ORDER BY id DESC"
        } else {
            " ORDER BY id"
        });
        push_page(&mut qb, &q.page);
        let rows = qb.build().fetch_all(&self.pool).await?;
        Ok(decode_each("event", &rows, |r| {
            let data: String = r.try_get("data")?;
            Ok((
                r.try_get("id")?,
                Event {
                    at: from_us(r.try_get("at_us")?)?,
                    actor: r.try_get("actor")?,
                    kind: r.try_get("kind")?,
                    seminar: r.try_get("seminar")?,
                    data: parse("event", &data)?,
                },
            ))
        }))
    }

    pub(super) async fn count_events(&self, q: &EventQuery) -> Result<i64, StoreError> {
        let mut qb = sqlx::QueryBuilder::<Db>::new("SELECT COUNT(*) AS n FROM events e");
        event_where(&mut qb, q);
        Ok(qb.build().fetch_one(&self.pool).await?.try_get("n")?)
    }
}
