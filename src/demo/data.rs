//! The static tables the demo draws calls from: call types, countries with their cities and
//! Twilio regions, carriers as Voice Insights names them, how often each outcome and call type
//! occurs, and the client names, SIP users, domains and user agents that appear.

use super::scenario::Scenario;

/// The kinds of call Voice Insights summarizes (`call_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CallType {
    Carrier,
    Sip,
    Trunking,
    Client,
    Whatsapp,
}

impl CallType {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Carrier => "carrier",
            Self::Sip => "sip",
            Self::Trunking => "trunking",
            Self::Client => "client",
            Self::Whatsapp => "whatsapp",
        }
    }
}

/// A city numbers are drawn from.
#[derive(Debug)]
pub(super) struct City {
    pub(super) name: &'static str,
    pub(super) subdivision: &'static str,
    pub(super) lat: f64,
    pub(super) lon: f64,
    /// National area code of landlines in this city.
    pub(super) area: &'static str,
}

/// A country: its dialling code, number length, Twilio media region and edges, and cities.
#[derive(Debug)]
pub(super) struct Country {
    pub(super) iso: &'static str,
    pub(super) dial: &'static str,
    /// Digits after the country code.
    pub(super) national_len: usize,
    pub(super) media_region: &'static str,
    pub(super) edge_locations: &'static [&'static str],
    pub(super) cities: &'static [City],
}

/// A carrier as Voice Insights names it.
#[derive(Debug)]
pub(super) struct Carrier {
    pub(super) name: &'static str,
    /// Index into [`COUNTRIES`].
    pub(super) country: usize,
    pub(super) connection: &'static str,
    /// National number ranges of a mobile network; empty: the city's area code.
    pub(super) prefixes: &'static [&'static str],
    /// How often it appears, relative to the others.
    pub(super) weight: u32,
}

const fn city(
    name: &'static str,
    subdivision: &'static str,
    lat: f64,
    lon: f64,
    area: &'static str,
) -> City {
    City {
        name,
        subdivision,
        lat,
        lon,
        area,
    }
}

pub(super) static COUNTRIES: [Country; 7] = [
    Country {
        iso: "US",
        dial: "1",
        national_len: 10,
        media_region: "us1",
        edge_locations: &["ashburn", "umatilla"],
        cities: &[
            city("New York", "New York", 40.7128, -74.0060, "212"),
            city("San Francisco", "California", 37.7749, -122.4194, "415"),
            city("Chicago", "Illinois", 41.8781, -87.6298, "312"),
            city("Austin", "Texas", 30.2672, -97.7431, "512"),
            city("Seattle", "Washington", 47.6062, -122.3321, "206"),
            city("Miami", "Florida", 25.7617, -80.1918, "305"),
            city("Denver", "Colorado", 39.7392, -104.9903, "303"),
            city("Boston", "Massachusetts", 42.3601, -71.0589, "617"),
            city("Atlanta", "Georgia", 33.7490, -84.3880, "404"),
        ],
    },
    Country {
        iso: "CA",
        dial: "1",
        national_len: 10,
        media_region: "us1",
        edge_locations: &["ashburn"],
        cities: &[
            city("Toronto", "Ontario", 43.6532, -79.3832, "416"),
            city("Vancouver", "British Columbia", 49.2827, -123.1207, "604"),
            city("Montreal", "Quebec", 45.5019, -73.5674, "514"),
        ],
    },
    Country {
        iso: "GB",
        dial: "44",
        national_len: 10,
        media_region: "ie1",
        edge_locations: &["dublin"],
        cities: &[
            city("London", "England", 51.5074, -0.1278, "20"),
            city("Manchester", "England", 53.4808, -2.2426, "161"),
            city("Edinburgh", "Scotland", 55.9533, -3.1883, "131"),
        ],
    },
    Country {
        iso: "DE",
        dial: "49",
        national_len: 11,
        media_region: "de1",
        edge_locations: &["frankfurt"],
        cities: &[
            city("Berlin", "Berlin", 52.5200, 13.4050, "30"),
            city("Munich", "Bavaria", 48.1351, 11.5820, "89"),
            city("Hamburg", "Hamburg", 53.5511, 9.9937, "40"),
        ],
    },
    Country {
        iso: "FR",
        dial: "33",
        national_len: 9,
        media_region: "ie1",
        edge_locations: &["dublin", "frankfurt"],
        cities: &[
            city("Paris", "Île-de-France", 48.8566, 2.3522, "1"),
            city("Lyon", "Auvergne-Rhône-Alpes", 45.7640, 4.8357, "4"),
            city(
                "Marseille",
                "Provence-Alpes-Côte d'Azur",
                43.2965,
                5.3698,
                "4",
            ),
        ],
    },
    Country {
        iso: "ES",
        dial: "34",
        national_len: 9,
        media_region: "ie1",
        edge_locations: &["dublin"],
        cities: &[
            city("Madrid", "Community of Madrid", 40.4168, -3.7038, "91"),
            city("Barcelona", "Catalonia", 41.3874, 2.1686, "93"),
        ],
    },
    Country {
        iso: "AU",
        dial: "61",
        national_len: 9,
        media_region: "au1",
        edge_locations: &["sydney"],
        cities: &[
            city("Sydney", "New South Wales", -33.8688, 151.2093, "2"),
            city("Melbourne", "Victoria", -37.8136, 144.9631, "3"),
        ],
    },
];

const US: usize = 0;
const CA: usize = 1;
const GB: usize = 2;
const DE: usize = 3;
const FR: usize = 4;
const ES: usize = 5;
const AU: usize = 6;

const fn carrier(
    name: &'static str,
    country: usize,
    connection: &'static str,
    prefixes: &'static [&'static str],
    weight: u32,
) -> Carrier {
    Carrier {
        name,
        country,
        connection,
        prefixes,
        weight,
    }
}

/// Carriers as Voice Insights names them, weighted: mostly US traffic, some Canada, Europe and
/// Australia.
pub(super) static CARRIERS: [Carrier; 20] = [
    carrier("T-Mobile USA, Inc.", US, "mobile", &[], 14),
    carrier("AT&T Wireless", US, "mobile", &[], 14),
    carrier("Verizon Wireless", US, "mobile", &[], 14),
    carrier("Bandwidth.com", US, "voip", &[], 6),
    carrier("Lumen", US, "landline", &[], 5),
    carrier("Comcast", US, "landline", &[], 4),
    carrier("Frontier Communications", US, "landline", &[], 2),
    carrier("Rogers", CA, "mobile", &[], 4),
    carrier("Bell Mobility", CA, "mobile", &[], 3),
    carrier("Vodafone UK", GB, "mobile", &["74", "77"], 4),
    carrier("EE", GB, "mobile", &["75", "79"], 4),
    carrier("BT", GB, "landline", &[], 2),
    carrier(
        "Deutsche Telekom",
        DE,
        "mobile",
        &["151", "160", "170", "171", "175"],
        4,
    ),
    carrier(
        "Telefonica Germany",
        DE,
        "mobile",
        &["159", "176", "179"],
        2,
    ),
    carrier("Orange France", FR, "mobile", &["6", "7"], 4),
    carrier("SFR", FR, "mobile", &["6"], 2),
    carrier("Telefonica Spain", ES, "mobile", &["6"], 3),
    carrier("Vodafone Spain", ES, "mobile", &["6", "7"], 2),
    carrier("Telstra", AU, "mobile", &["4"], 3),
    carrier("Optus", AU, "mobile", &["4"], 2),
];

/// The account's Twilio numbers: (index into [`CARRIERS`], index into its country's cities).
pub(super) static TWILIO_NUMBER_CARRIERS: &[(usize, usize)] = &[(3, 1), (4, 0), (3, 3), (11, 0)];

pub(super) static SCENARIO_WEIGHTS: &[(Scenario, u32)] = &[
    (Scenario::Completed, 55),
    (Scenario::NoAnswer, 13),
    (Scenario::Busy, 10),
    (Scenario::Failed, 12),
    (Scenario::Canceled, 10),
];

pub(super) static CALL_TYPE_WEIGHTS: &[(CallType, u32)] = &[
    (CallType::Carrier, 60),
    (CallType::Sip, 12),
    (CallType::Trunking, 12),
    (CallType::Client, 12),
    (CallType::Whatsapp, 4),
];

pub(super) static CLIENT_NAMES: &[&str] = &[
    "client:alice",
    "client:bob.smith",
    "client:reception",
    "client:night-shift",
    "client:sales-team",
];
pub(super) static SIP_USERS: &[&str] = &["1001", "1002", "2040", "reception", "ivr", "sales"];
pub(super) static SIP_DOMAINS: &[&str] = &[
    "acme.sip.twilio.com",
    "callcenter.sip.us1.twilio.com",
    "pbx-office.sip.twilio.com",
];
pub(super) static SIP_USER_AGENTS: &[&str] = &[
    "Asterisk PBX 18.20.0",
    "FreeSWITCH-mod_sofia/1.10.11-release",
    "3CXPhoneSystem 18.0.9.20",
    "Yealink SIP-T54W 96.86.0.100",
    "Grandstream UCM6302 V1.0.23.17",
    "Cisco-SIPGateway/IOS-17.x",
];
