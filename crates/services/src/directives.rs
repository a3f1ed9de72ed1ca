//! A directive read into tasks for a unit's divisions: the proposals, then the tasks
//! stored (the web's preview page and `parindex directive import` share this).

use parindex_db::{Db, NewTask};
use parindex_domain::directive::{Directive, KnownUnit, parse_directive};
use parindex_domain::tasks::{Proposal, propose, start_of};
use parindex_domain::text::Date;

/// The divisions of `unit` as the directive reader knows them.
pub async fn divisions_of(db: &Db, unit: &str) -> Result<Vec<KnownUnit>, String> {
    Ok(db
        .divisions(unit)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|(code, name)| KnownUnit { code, name })
        .collect())
}

/// Reads a directive and proposes its tasks for the divisions of `unit`.
pub async fn proposals_for(
    db: &Db,
    unit: &str,
    text: &str,
    today: Date,
) -> Result<(Directive, Vec<Proposal>), String> {
    if db.unit(unit).await.map_err(|e| e.to_string())?.is_none() {
        return Err(format!("đơn vị `{unit}` chưa có trong danh sách"));
    }
    let divisions = divisions_of(db, unit).await?;
    let d = parse_directive(text, &divisions).map_err(|e| e.to_string())?;
    let start = start_of(&d, today);
    let proposals = propose(&d, &divisions, start);
    Ok((d, proposals))
}

/// A proposal as a task to create: unresolved names stay visible as the responsible text.
pub fn to_task(p: &Proposal, divisions: &[KnownUnit]) -> NewTask {
    let known = |c: &String| divisions.iter().any(|u| &u.code == c);
    let unresolved: Vec<String> = p
        .leads
        .iter()
        .chain(&p.supports)
        .filter(|c| !known(c))
        .cloned()
        .collect();
    NewTask {
        item_ref: Some(p.item_ref.clone()),
        source_line: i64::try_from(p.line).ok(),
        title: p.title.clone(),
        body: p.body.clone(),
        responsible: (!unresolved.is_empty()).then(|| unresolved.join(", ")),
        leads: p.leads.iter().filter(|c| known(c)).cloned().collect(),
        supports: p.supports.iter().filter(|c| known(c)).cloned().collect(),
        criteria: p.criteria.clone(),
        references: p.references.clone(),
        schedule: p.schedule,
    }
}

/// Reads a directive and creates its tasks without a preview (`parindex directive import`).
/// Returns the number of tasks and of occurrences created.
pub async fn import_directive(
    db: &Db,
    unit: &str,
    text: &str,
    file_name: Option<&str>,
    actor: &str,
    now: &str,
) -> Result<(usize, usize), String> {
    let today = Date::parse(now.get(..10).unwrap_or(now)).ok_or("ngày hiện tại không đọc được")?;
    let (d, proposals) = proposals_for(db, unit, text, today).await?;
    let problems = parindex_domain::tasks::schedule_problems(&proposals);
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    let divisions = divisions_of(db, unit).await?;
    let tasks: Vec<NewTask> = proposals.iter().map(|p| to_task(p, &divisions)).collect();
    let occurrences = tasks
        .iter()
        .map(|t| {
            t.schedule
                .occurrences(t.schedule.start, t.schedule.end)
                .len()
        })
        .sum();
    db.import_directive(unit, &d, text, file_name, &tasks, actor, now)
        .await
        .map_err(|e| e.to_string())?;
    Ok((tasks.len(), occurrences))
}
