//! Robots are not an audience: crawlers, link previewers, monitors, scripts and headless
//! browsers are told their events were received and none is counted. Known by their
//! `User-Agent` (a browser always sends one); a robot that passes for a browser is held back
//! by the per-visitor and per-address limits instead.

/// Pieces of a `User-Agent` (lowercase) that only robots send.
const ROBOTS: [&str; 22] = [
    "bot",
    "crawl",
    "spider",
    "slurp",
    "facebookexternalhit",
    "embedly",
    "preview",
    "monitor",
    "lighthouse",
    "pingdom",
    "headlesschrome",
    "phantomjs",
    "curl/",
    "wget/",
    "httpie/",
    "python-",
    "python/",
    "aiohttp",
    "go-http-client",
    "java/",
    "okhttp",
    "node-fetch",
];

/// Whether a request with this `User-Agent` comes from a robot.
pub fn is_robot(user_agent: Option<&str>) -> bool {
    let Some(agent) = user_agent.map(str::trim).filter(|a| !a.is_empty()) else {
        return true;
    };
    let agent = agent.to_ascii_lowercase();
    ROBOTS.iter().any(|robot| agent.contains(robot))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_count_and_robots_do_not() {
        for person in [
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        ] {
            assert!(!is_robot(Some(person)), "{person}");
        }
        for robot in [
            None,
            Some(""),
            Some("  "),
            Some("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
            Some("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"),
            Some(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
            ),
            Some("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"),
            Some("curl/7.88.1"),
            Some("python-requests/2.32.3"),
            Some("Go-http-client/1.1"),
        ] {
            assert!(is_robot(robot), "{robot:?}");
        }
    }
}
