//! What a game was bought with, and what each package allows. The server enforces these when
//! a game is made or changed; the create page shows the same table.

use crate::game::LevelCount;
use crate::look::Style;
use crate::named_enum;

/// How a game is paid for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Package {
    /// Up to 3 levels in two styles, playable and embeddable for 30 days.
    Free,
    /// One-off: up to 6 levels, every style, the offline download, kept for good.
    Basic,
    /// One-off: up to 12 levels, every style, new levels without limit.
    Premium,
    /// Made with one of a subscription's monthly credits: what premium allows.
    Subscription,
}

named_enum!(Package, "package", {
    Free => "free",
    Basic => "basic",
    Premium => "premium",
    Subscription => "subscription",
});

/// What a package allows a game.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Allowance {
    pub max_levels: u32,
    /// `None`: every style.
    pub styles: Option<&'static [Style]>,
    /// The one HTML file that plays offline.
    pub download: bool,
    /// Days the game plays after it is made; `None`: for good.
    pub expires_after_days: Option<u32>,
    /// Times the game may be made again with new levels; `None`: without limit.
    pub new_levels: Option<u32>,
    /// The pet also drawn and animated at 64 px (the game itself draws its hero at 32):
    /// a sheet to keep, shown on the game's page.
    pub hires_sprite: bool,
}

/// The styles a free game may be drawn in.
pub const FREE_STYLES: &[Style] = &[Style::Classic16, Style::GameBoy];

impl Package {
    pub const fn allowance(self) -> Allowance {
        match self {
            Self::Free => Allowance {
                max_levels: 3,
                styles: Some(FREE_STYLES),
                download: false,
                expires_after_days: Some(30),
                new_levels: Some(1),
                hires_sprite: false,
            },
            Self::Basic => Allowance {
                max_levels: 6,
                styles: None,
                download: true,
                expires_after_days: None,
                new_levels: Some(3),
                hires_sprite: false,
            },
            Self::Premium | Self::Subscription => Allowance {
                max_levels: LevelCount::MAX,
                styles: None,
                download: true,
                expires_after_days: None,
                new_levels: None,
                hires_sprite: true,
            },
        }
    }

    /// Bought one game at a time (a subscription's games are paid by its invoices).
    pub const fn is_one_off(self) -> bool {
        matches!(self, Self::Basic | Self::Premium)
    }

    /// What a person reads on the create page and in their history.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Free => "Free",
            Self::Basic => "Basic",
            Self::Premium => "Premium",
            Self::Subscription => "Monthly subscription",
        }
    }
}

impl Allowance {
    /// Why a game of `levels` levels in `style` does not fit, in words naming the limit; `None`
    /// when it fits.
    pub fn refuses(&self, package: Package, levels: LevelCount, style: Style) -> Option<Refusal> {
        if levels.get() > self.max_levels {
            return Some(Refusal {
                field: "level_count",
                message: format!(
                    "the {} package allows up to {} levels",
                    package.label(),
                    self.max_levels
                ),
            });
        }
        if let Some(styles) = self.styles
            && !styles.contains(&style)
        {
            let names: Vec<&str> = styles.iter().map(|s| s.as_str()).collect();
            return Some(Refusal {
                field: "style",
                message: format!(
                    "the {} package draws in {}; every style comes with basic and premium",
                    package.label(),
                    names.join(" or ")
                ),
            });
        }
        None
    }
}

/// A request a package does not allow: the field at fault and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub field: &'static str,
    pub message: String,
}

/// A currency the price table is kept in, with its minor units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Currency {
    Usd,
    Eur,
    Gbp,
    Jpy,
}

named_enum!(Currency, "currency", {
    Usd => "usd",
    Eur => "eur",
    Gbp => "gbp",
    Jpy => "jpy",
});

impl Currency {
    /// Digits after the decimal point: Stripe's amounts are in these minor units (JPY has
    /// none, so ¥800 is `800`, while $4.99 is `499`).
    pub const fn decimals(self) -> u32 {
        match self {
            Self::Jpy => 0,
            Self::Usd | Self::Eur | Self::Gbp => 2,
        }
    }

    pub const fn symbol(self) -> &'static str {
        match self {
            Self::Usd => "$",
            Self::Eur => "€",
            Self::Gbp => "£",
            Self::Jpy => "¥",
        }
    }

    /// An amount in minor units as a person reads it: `$4.99`, `¥800`.
    pub fn format(self, minor: i64) -> String {
        let sign = if minor < 0 { "-" } else { "" };
        let minor = minor.unsigned_abs();
        match self.decimals() {
            0 => format!("{sign}{}{minor}", self.symbol()),
            d => {
                let unit = 10u64.pow(d);
                let width = d as usize;
                format!(
                    "{sign}{}{}.{:0width$}",
                    self.symbol(),
                    minor / unit,
                    minor % unit
                )
            }
        }
    }

    /// An amount as a person types it (`4.99`, `$4.99`, `4`, `¥800`) in minor units; `None`
    /// for anything else: a negative or malformed number, more decimals than the currency
    /// has, or more than any price.
    pub fn parse(self, text: &str) -> Option<i64> {
        let text = text.trim();
        let text = text.strip_prefix(self.symbol()).unwrap_or(text).trim();
        let (whole, fraction) = match text.split_once('.') {
            Some((whole, fraction)) => (whole, fraction),
            None => (text, ""),
        };
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        let decimals = self.decimals() as usize;
        if whole.is_empty() || whole.len() > 12 || !digits(whole) {
            return None;
        }
        if fraction.len() > decimals
            || !digits(fraction)
            || (text.contains('.') && fraction.is_empty())
        {
            return None;
        }
        let unit = 10i64.pow(self.decimals());
        let padded = format!("{fraction:0<decimals$}");
        let fraction: i64 = if padded.is_empty() {
            0
        } else {
            padded.parse().ok()?
        };
        whole
            .parse::<i64>()
            .ok()?
            .checked_mul(unit)?
            .checked_add(fraction)
    }
}

/// Where an order is. It only moves forwards: `pending → paid → partially_refunded →
/// refunded`, or `pending → canceled`; an event that would move it back changes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    Pending,
    Paid,
    PartiallyRefunded,
    Refunded,
    Canceled,
}

named_enum!(OrderStatus, "order status", {
    Pending => "pending",
    Paid => "paid",
    PartiallyRefunded => "partially_refunded",
    Refunded => "refunded",
    Canceled => "canceled",
});

impl OrderStatus {
    /// Its place on the way: a transition goes to a later rank only.
    pub const fn rank(self) -> u8 {
        match self {
            Self::Pending => 0,
            Self::Paid => 1,
            Self::PartiallyRefunded => 2,
            Self::Refunded | Self::Canceled => 3,
        }
    }

    /// Money was taken (and not all of it given back).
    pub const fn is_paid(self) -> bool {
        matches!(self, Self::Paid | Self::PartiallyRefunded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_as_people_type_them() {
        assert_eq!(Currency::Usd.parse("4.99"), Some(499));
        assert_eq!(Currency::Usd.parse(" $4.5 "), Some(450));
        assert_eq!(Currency::Usd.parse("4"), Some(400));
        assert_eq!(Currency::Eur.parse("€0.01"), Some(1));
        assert_eq!(Currency::Jpy.parse("¥800"), Some(800));
        for bad in [
            "",
            "4.999",
            "-1",
            "4.",
            ".5",
            "4,99",
            "1e3",
            "$",
            "4.9x",
            "9999999999999",
        ] {
            assert_eq!(Currency::Usd.parse(bad), None, "{bad:?}");
        }
        assert_eq!(Currency::Jpy.parse("800.5"), None);
        for minor in [0, 1, 99, 100, 499, 123_456] {
            for currency in Currency::ALL {
                assert_eq!(currency.parse(&currency.format(minor)), Some(minor));
            }
        }
    }

    fn levels(n: u32) -> LevelCount {
        LevelCount::try_from(n).expect("levels")
    }

    #[test]
    fn each_package_refuses_what_it_does_not_include() {
        let free = Package::Free.allowance();
        assert_eq!(free.refuses(Package::Free, levels(3), Style::GameBoy), None);
        let too_many = free
            .refuses(Package::Free, levels(4), Style::Classic16)
            .expect("4 levels");
        assert_eq!(too_many.field, "level_count");
        assert!(
            too_many.message.contains("up to 3 levels"),
            "{}",
            too_many.message
        );
        let style = free
            .refuses(Package::Free, levels(1), Style::Pico8)
            .expect("pico-8");
        assert_eq!(style.field, "style");
        assert!(
            style.message.contains("classic-16 or game-boy"),
            "{}",
            style.message
        );

        let basic = Package::Basic.allowance();
        assert_eq!(basic.refuses(Package::Basic, levels(6), Style::Pico8), None);
        assert!(
            basic
                .refuses(Package::Basic, levels(7), Style::Pico8)
                .is_some()
        );
        let premium = Package::Premium.allowance();
        assert_eq!(
            premium.refuses(Package::Premium, levels(12), Style::MonoInk),
            None
        );
        assert_eq!(Package::Subscription.allowance(), premium);
    }

    #[test]
    fn only_paid_packages_download_and_keep() {
        assert!(!Package::Free.allowance().download);
        assert_eq!(Package::Free.allowance().expires_after_days, Some(30));
        assert!(Package::Basic.allowance().download);
        assert_eq!(Package::Basic.allowance().expires_after_days, None);
        assert_eq!(Package::Premium.allowance().new_levels, None);
        assert!(Package::Basic.is_one_off() && Package::Premium.is_one_off());
        assert!(!Package::Free.is_one_off() && !Package::Subscription.is_one_off());
    }

    #[test]
    fn amounts_are_written_in_each_currencys_minor_units() {
        assert_eq!(Currency::Usd.format(499), "$4.99");
        assert_eq!(Currency::Eur.format(5), "€0.05");
        assert_eq!(Currency::Gbp.format(1200), "£12.00");
        assert_eq!(Currency::Jpy.format(800), "¥800");
        assert_eq!(Currency::Usd.format(-250), "-$2.50");
        assert_eq!("jpy".parse::<Currency>(), Ok(Currency::Jpy));
        assert!("JPY".parse::<Currency>().is_err());
    }

    #[test]
    fn orders_only_move_forwards() {
        use OrderStatus::*;
        assert!(Pending.rank() < Paid.rank());
        assert!(Paid.rank() < PartiallyRefunded.rank());
        assert!(PartiallyRefunded.rank() < Refunded.rank());
        assert_eq!(Canceled.rank(), Refunded.rank());
        assert!(Paid.is_paid() && PartiallyRefunded.is_paid());
        assert!(!Pending.is_paid() && !Refunded.is_paid() && !Canceled.is_paid());
    }
}
