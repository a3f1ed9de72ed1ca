//! A directive read into tasks for a unit's divisions: the proposals, then the tasks
//! stored (the web's preview page and `parindex directive import` share this).

use std::collections::HashMap;

use parindex_db::{Db, NewTask};
use parindex_domain::directive::{Directive, KnownUnit, parse_directive};
use parindex_domain::tasks::{Proposal, propose, responsible_division, start_of};
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
    let owners = owners_of(db, unit, &d, &divisions).await?;
    let proposals = propose(&d, &divisions, start, &owners);
    Ok((d, proposals))
}

/// The division answering for each criterion the directive cites, in the current criteria
/// set: the unit's table, else the set's `owner`.
async fn owners_of(
    db: &Db,
    unit: &str,
    d: &Directive,
    divisions: &[KnownUnit],
) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    let Some(set_id) = db.current_set_id().await.map_err(|e| e.to_string())? else {
        return Ok(out);
    };
    let Some(set) = db.load_set(&set_id).await.map_err(|e| e.to_string())? else {
        return Ok(out);
    };
    let table = db
        .responsibilities(&set_id, unit)
        .await
        .map_err(|e| e.to_string())?;
    let divisions: Vec<(String, String)> = divisions
        .iter()
        .map(|k| (k.code.clone(), k.name.clone()))
        .collect();
    for code in d.items.iter().flat_map(|it| &it.criteria) {
        if let Some(i) = set.position(code)
            && let Some(div) = responsible_division(&set, i, &table, &divisions)
        {
            out.insert(code.clone(), div);
        }
    }
    Ok(out)
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
    let (cal, _) = db.active_calendar().await.map_err(|e| e.to_string())?;
    let occurrences = tasks
        .iter()
        .map(|t| {
            t.schedule
                .due_dates(t.schedule.start, t.schedule.end, &cal)
                .len()
        })
        .sum();
    db.import_directive(unit, &d, text, file_name, &tasks, actor, now)
        .await
        .map_err(|e| e.to_string())?;
    Ok((tasks.len(), occurrences))
}
