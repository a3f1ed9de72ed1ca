//! Roles (scoped to units) and the audit chain.

use std::fmt::Write as _;

use sha2::{Digest, Sha256};

/// What an account may do; every role but `admin`, `secretariat` and `appraiser` is bound
/// to one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Admin,
    Secretariat,
    Appraiser,
    Leader,
    Focal,
    Division,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::Secretariat,
        Role::Appraiser,
        Role::Leader,
        Role::Focal,
        Role::Division,
        Role::Viewer,
    ];

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Secretariat => "secretariat",
            Role::Appraiser => "appraiser",
            Role::Leader => "leader",
            Role::Focal => "focal",
            Role::Division => "division",
            Role::Viewer => "viewer",
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Role::Admin => "Quản trị hệ thống",
            Role::Secretariat => "Thường trực (Sở Nội vụ)",
            Role::Appraiser => "Thành viên thẩm định",
            Role::Leader => "Lãnh đạo đơn vị",
            Role::Focal => "Đầu mối CCHC của đơn vị",
            Role::Division => "Cán bộ phòng, ban",
            Role::Viewer => "Người xem",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Role::Admin => "System administrator",
            Role::Secretariat => "Secretariat (Home Affairs)",
            Role::Appraiser => "Appraiser",
            Role::Leader => "Unit leader",
            Role::Focal => "Unit PAR focal point",
            Role::Division => "Division member",
            Role::Viewer => "Viewer",
        }
    }

    /// Whether an account of this role must belong to a unit.
    pub fn needs_unit(self) -> bool {
        matches!(self, Role::Leader | Role::Focal | Role::Division)
    }
}

/// One audit record's content, as chained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: Option<String>,
}

/// The hash before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// `sha256(prev ‖ fields)`, every field length-prefixed so that no two records collide.
pub fn chain_hash(prev: &str, e: &AuditEntry) -> String {
    let mut h = Sha256::new();
    let mut field = |s: Option<&str>| {
        match s {
            None => h.update(b"-"),
            Some(v) => {
                let mut len = String::new();
                let _ = write!(len, "{}:", v.len());
                h.update(len.as_bytes());
                h.update(v.as_bytes());
            }
        }
        h.update(b"|");
    };
    field(Some(prev));
    field(Some(&e.at));
    field(Some(&e.actor));
    field(Some(&e.action));
    field(Some(&e.entity));
    field(e.old_value.as_deref());
    field(e.new_value.as_deref());
    field(e.reason.as_deref());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(new: &str) -> AuditEntry {
        AuditEntry {
            at: "2026-11-27T10:00:00Z".into(),
            actor: "admin".into(),
            action: "points".into(),
            entity: "brvt-so-2020/SKHDT/I.8.4".into(),
            old_value: None,
            new_value: Some(new.into()),
            reason: None,
        }
    }

    #[test]
    fn chain_changes_with_any_field() {
        let a = chain_hash(GENESIS, &entry("1"));
        assert_eq!(a.len(), 64);
        assert_ne!(a, chain_hash(GENESIS, &entry("2")));
        assert_ne!(a, chain_hash(&a, &entry("1")));
        let mut none = entry("1");
        none.reason = Some(String::new());
        assert_ne!(a, chain_hash(GENESIS, &none), "empty and absent differ");
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert!(Role::Focal.needs_unit() && !Role::Appraiser.needs_unit());
    }
}
