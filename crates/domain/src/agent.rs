//! Agents (the chat bots): verticals, capabilities and the presets that tie them together.
//! Presets are data: a new vertical is one line in `Vertical::preset`.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use crate::validation::trimmed_text;

string_enum!(
    /// What an agent may do; tools require one.
    Capability {
        /// Open support tickets (the `open_ticket` tool).
        Ticketing = "ticketing",
        /// Capture visitors' contact details as leads.
        LeadCapture = "lead_capture",
        /// Answer from the help-center articles.
        KnowledgeBase = "knowledge_base",
        /// Look up orders and their shipping state.
        OrderTracking = "order_tracking",
        /// Search and recommend products.
        ProductSearch = "product_search",
        /// Book meetings or demos.
        Scheduling = "scheduling",
    }
);

string_enum!(
    /// The kind of business an agent serves; it decides the agent's preset capabilities.
    Vertical {
        HelpCenter = "help_center",
        Sales = "sales",
        Ecommerce = "ecommerce",
        RealEstate = "real_estate",
        General = "general",
    }
);

impl Vertical {
    /// The capabilities every agent of this vertical has.
    pub fn preset(self) -> &'static [Capability] {
        use Capability::*;
        match self {
            Vertical::HelpCenter => &[Ticketing, KnowledgeBase],
            Vertical::Sales => &[LeadCapture, Scheduling],
            Vertical::Ecommerce => &[OrderTracking, ProductSearch, LeadCapture],
            Vertical::RealEstate => &[LeadCapture, Scheduling],
            Vertical::General => &[KnowledgeBase],
        }
    }
}

/// Per-agent additions to the vertical's preset: `{"capabilities": ["ticketing"]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VerticalOverrides {
    /// Capabilities added to the vertical's preset.
    #[serde(default)]
    pub capabilities: Vec<Capability>,
}

impl VerticalOverrides {
    /// Sorted, without duplicates.
    pub fn normalised(mut self) -> Self {
        self.capabilities.sort();
        self.capabilities.dedup();
        self
    }
}

/// The capabilities an agent has: its vertical's preset ∪ its overrides.
pub fn effective_capabilities(vertical: Vertical, overrides: &VerticalOverrides) -> Vec<Capability> {
    let set: BTreeSet<Capability> =
        vertical.preset().iter().chain(&overrides.capabilities).copied().collect();
    set.into_iter().collect()
}

/// The longest agent name, in characters.
pub const AGENT_NAME_MAX: usize = 100;

/// An agent's name: 1–100 characters.
pub fn parse_agent_name(raw: &str) -> Result<String, String> {
    trimmed_text(raw, "the name", 1, AGENT_NAME_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_center_ships_ticketing_and_others_do_not() {
        assert!(Vertical::HelpCenter.preset().contains(&Capability::Ticketing));
        for v in Vertical::ALL.iter().filter(|v| **v != Vertical::HelpCenter) {
            assert!(!v.preset().contains(&Capability::Ticketing), "{v}");
        }
    }

    #[test]
    fn overrides_add_to_the_preset() {
        let none = VerticalOverrides::default();
        assert!(!effective_capabilities(Vertical::Sales, &none).contains(&Capability::Ticketing));
        let with = VerticalOverrides { capabilities: vec![Capability::Ticketing, Capability::LeadCapture] };
        let caps = effective_capabilities(Vertical::Sales, &with);
        assert_eq!(caps, vec![Capability::Ticketing, Capability::LeadCapture, Capability::Scheduling]);
    }

    #[test]
    fn overrides_parse_strictly() {
        let ok: VerticalOverrides = serde_json::from_str(r#"{"capabilities": ["ticketing"]}"#).unwrap();
        assert_eq!(ok.capabilities, vec![Capability::Ticketing]);
        assert!(serde_json::from_str::<VerticalOverrides>(r#"{"capabilities": ["flying"]}"#).is_err());
        assert!(serde_json::from_str::<VerticalOverrides>(r#"{"caps": []}"#).is_err());
        assert_eq!(serde_json::from_str::<VerticalOverrides>("{}").unwrap(), VerticalOverrides::default());
    }

    #[test]
    fn verticals_round_trip() {
        for v in Vertical::ALL {
            assert_eq!(v.as_str().parse::<Vertical>().unwrap(), *v);
        }
    }
}
