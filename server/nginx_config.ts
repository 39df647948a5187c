// The nginx site that puts a caching reverse proxy in front of Flock. The README prints nginxSite(README_SITE) and
// server/proxy_cache.test.ts runs nginxSite with its own ports and paths, so the documented config is the tested one.

export interface NginxSite {
  /** nginx's `listen` argument: a port, or address:port. */
  listen: string;
  /** Where Flock serves, e.g. http://127.0.0.1:8080. */
  upstream: string;
  /** The cache's directory; nginx creates it. */
  cacheDir: string;
}

/** The site as it stands in the README: Flock on its default port, nginx on port 80. */
export const README_SITE: NginxSite = { listen: '80', upstream: 'http://127.0.0.1:8080', cacheDir: '/var/cache/nginx/flock' };

/** The site's config text: directives of nginx's http block (Debian's nginx.conf includes /etc/nginx/conf.d/*.conf there). */
export function nginxSite(s: NginxSite): string {
  return `# /etc/nginx/conf.d/flock.conf
proxy_cache_path ${s.cacheDir} keys_zone=flock_copies:10m max_size=2g inactive=1d use_temp_path=off;

map $http_upgrade $flock_connection {
    default upgrade;
    ''      close;
}

server {
    listen ${s.listen};

    location / {
        proxy_pass ${s.upstream};
    }

    # Socket.IO: tabs talk over a WebSocket, which needs the upgrade passed on
    location /socket.io/ {
        proxy_pass ${s.upstream};
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $flock_connection;
    }

    # leader copies never change: cached as Flock's Cache-Control says, fetched from Flock once however many tabs ask
    location ~ ^/api/runs/[0-9]+/copies/[0-9]+$ {
        proxy_pass ${s.upstream};
        proxy_cache flock_copies;
        proxy_cache_lock on;
        add_header X-Cache-Status $upstream_cache_status always;
    }
}
`;
}
