/* Clickstream tracker: the Snowplow tracker protocol over GET /i; sets no cookie. */
!function(w,d,n){
var h=history,s=d.currentScript,o=new URL(s.src).origin+'/i',a=s.getAttribute('data-site'),r=d.referrer,l,t=0,v=d.hidden?0:Date.now(),y=0,
q=(w.clickstream||{}).q||[];
function id(){try{return crypto.randomUUID()}catch(e){return Date.now().toString(36)+Math.random().toString(36).slice(2)}}
function go(p){
p.eid=id();p.p='web';p.tv='cs-1';p.url=p.url||location.href;p.dtm=p.stm=Date.now();
p.res=screen.width+'x'+screen.height;p.vp=w.innerWidth+'x'+w.innerHeight;p.lang=n.language;
try{p.tz=Intl.DateTimeFormat().resolvedOptions().timeZone}catch(e){}
if(a)p.aid=a;if(n.webdriver)p.wd=1;
var u=o+'?'+Object.keys(p).map(function(k){return k+'='+encodeURIComponent(p[k])}).join('&');
try{fetch(u,{keepalive:!0,credentials:'include',mode:'no-cors'})}catch(e){new Image().src=u}}
function eng(){var z=Date.now();if(v)t+=z-v;v=d.hidden?0:z}
function ping(){eng();if(t>0&&l){go({e:'pp',url:l,page:d.title,et:t,pp_mix:0,pp_maxx:0,pp_miy:0,pp_maxy:Math.round(y)});t=0;y=0}}
function pv(){var u=location.href;if(u==l)return;if(l){ping();r=l}l=u;go({e:'pv',page:d.title,refr:r})}
['pushState','replaceState'].forEach(function(m){var f=h[m];h[m]=function(){var x=f.apply(this,arguments);pv();return x}});
w.addEventListener('popstate',pv);
w.addEventListener('scroll',function(){y=Math.max(y,w.scrollY)},{passive:!0});
d.addEventListener('visibilitychange',function(){d.hidden?ping():eng()});
function api(c,name,props){if(c=='event')go({e:'ue',page:d.title,ue_pr:JSON.stringify({schema:'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0',data:{schema:'iglu:io.clickstream/event/jsonschema/1-0-0',data:{name:String(name),props:props||{}}}})})}
w.clickstream=api;pv();q.forEach(function(x){api.apply(0,x)})
}(window,document,navigator);
